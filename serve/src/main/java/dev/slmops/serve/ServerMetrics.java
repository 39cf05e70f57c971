package dev.slmops.serve;

import dev.slmops.serve.models.ModelManager;
import dev.slmops.serve.models.ServedModel;
import dev.slmops.serve.scheduler.StepObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What GET /metrics reports, in Prometheus' text format: requests by endpoint and status, prompt and completion
 * tokens, queue depth and active sequences, time to first token and between tokens, batch sizes, loaded models,
 * JVM and process memory.
 */
public final class ServerMetrics implements StepObserver {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final Timer ttft;
    private final Timer interToken;
    private final Timer step;
    private final DistributionSummary batch;
    private volatile ModelManager models;

    public ServerMetrics() {
        promptTokens = Counter.builder("slmops_prompt_tokens").description("Prompt tokens prefilled").register(registry);
        completionTokens = Counter.builder("slmops_completion_tokens").description("Tokens generated").register(registry);
        ttft = Timer.builder("slmops_time_to_first_token").description("From a sequence's submission to its first token")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(120)).register(registry);
        interToken = Timer.builder("slmops_inter_token_latency").description("Between two tokens of one sequence")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        step = Timer.builder("slmops_decode_step").description("One forward pass over the batch").register(registry);
        batch = DistributionSummary.builder("slmops_batch_sequences").description("Sequences per forward pass")
                .register(registry);
        Gauge.builder("slmops_queue_depth", this, m -> m.sum(true)).description("Sequences waiting to start")
                .register(registry);
        Gauge.builder("slmops_active_sequences", this, m -> m.sum(false)).description("Sequences being generated")
                .register(registry);
        Gauge.builder("slmops_kv_cache_bytes", this, ServerMetrics::kvBytes)
                .description("KV cache pages held by the sequences being generated").baseUnit("bytes").register(registry);
        Gauge.builder("slmops_loaded_models", this, m -> m.models == null ? 0 : m.models.loadedModels().size())
                .description("Models in memory").register(registry);
        Gauge.builder("slmops_process_resident_memory_bytes", ServerMetrics::residentBytes)
                .description("Resident set size of the server process").baseUnit("bytes").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    void watch(ModelManager models) {
        this.models = models;
    }

    private double sum(boolean queued) {
        ModelManager m = models;
        if (m == null) return 0;
        double s = 0;
        for (ServedModel sm : m.loadedModels()) {
            s += queued ? sm.scheduler().queueDepth() : sm.scheduler().activeSequences();
        }
        return s;
    }

    private double kvBytes() {
        ModelManager m = models;
        if (m == null) return 0;
        double s = 0;
        for (ServedModel sm : m.loadedModels()) s += sm.scheduler().kvBytesInUse();
        return s;
    }

    /** VmRSS from /proc/self/status (Linux); -1 elsewhere. */
    public static double residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    void request(String endpoint, int status) {
        Counter.builder("slmops_requests").description("HTTP requests by endpoint and status")
                .tag("endpoint", endpoint).tag("status", Integer.toString(status)).register(registry).increment();
    }

    /** Tokens generated since the server started. */
    public long completionTokensTotal() {
        return (long) completionTokens.count();
    }

    /** Forward passes so far, their total time in milliseconds, and the sequences they carried in all. */
    public double[] stepTotals() {
        return new double[]{step.count(), step.totalTime(TimeUnit.MILLISECONDS), batch.totalAmount()};
    }

    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void step(int sequences, int rows, long nanos) {
        step.record(nanos, TimeUnit.NANOSECONDS);
        batch.record(sequences);
    }

    @Override
    public void firstToken(long nanos) {
        ttft.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void interToken(long nanos) {
        interToken.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void promptTokens(int count) {
        promptTokens.increment(count);
    }

    @Override
    public void completionTokens(int count) {
        completionTokens.increment(count);
    }
}
