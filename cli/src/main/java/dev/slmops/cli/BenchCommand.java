package dev.slmops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.slmops.workflows.bench.Benchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure prompt (pp) and generation (tg) speed like llama-bench (each test warmed up for 2 s first).",
                "Also reports peak memory, time to first token and the share of the memory-bandwidth limit reached.",
                "Compare with llama.cpp on the same files: scripts/bench-vs-llamacpp.sh."})
final class BenchCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, description = Models.DESCRIPTION)
    String model;

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "512", description = "Prompt tokens for pp (default ${DEFAULT-VALUE}; 0 skips).")
    int prompt;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "128", description = "Generated tokens for tg (default ${DEFAULT-VALUE}; 0 skips).")
    int gen;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "Repetitions of each test (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", description = "Threads (default: all cores).")
    int threads;

    @Option(names = "--kv-type", defaultValue = "f32", description = "KV cache element type: f32 (default) or f16 (llama-bench's default).")
    String kvType;

    @Option(names = {"-o", "--output"}, defaultValue = "md", description = "md, json or csv (default ${DEFAULT-VALUE}).")
    String output;

    @Override
    public Integer call() throws Exception {
        if (!output.equals("md") && !output.equals("json") && !output.equals("csv")) {
            throw new IllegalArgumentException("--output must be md, json or csv, got \"" + output + "\"");
        }
        Benchmark.Result r = Benchmark.run(new Benchmark.Options(Models.resolve(model), prompt, gen, reps, threads,
                dev.slmops.model.engine.KvCache.Type.parse(kvType)));
        switch (output) {
            case "json" -> System.out.println(new ObjectMapper()
                    .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
            case "csv" -> {
                System.out.println("model,type,params,model_bytes,threads,test,tokens_per_s_mean,tokens_per_s_stddev,peak_rss_bytes,ttft_cold_ms,bandwidth_fraction");
                for (var t : r.tests()) {
                    System.out.printf(Locale.ROOT, "%s,%s,%d,%d,%d,%s,%.3f,%.3f,%d,%.1f,%.4f%n", r.model(), r.type(), r.params(),
                            r.modelBytes(), r.threads(), t.name(), t.tokensPerS().mean(), t.tokensPerS().stddev(),
                            r.peakRssBytes(), r.ttftColdMs(), t.nGen() > 0 ? r.tgBandwidthFraction() : Double.NaN);
                }
            }
            default -> {
                System.out.println("| model | type | size | params | threads | test | t/s |");
                System.out.println("| --- | --- | ---: | ---: | ---: | --- | ---: |");
                for (var t : r.tests()) {
                    System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %d | %s | %.2f ± %.2f |%n", Path.of(r.model()).getFileName(), r.type(),
                            InspectCommand.bytes(r.modelBytes()), InspectCommand.human(r.params(), ""), r.threads(), t.name(),
                            t.tokensPerS().mean(), t.tokensPerS().stddev());
                }
                System.out.printf(Locale.ROOT, "%npeak RSS %s; time to first token from process start %.0f ms%n",
                        InspectCommand.bytes(r.peakRssBytes()), r.ttftColdMs());
                System.out.printf(Locale.ROOT, "decode reads %s of weights per token; measured bandwidth %.1f GB/s", InspectCommand.bytes(r.bytesPerToken()),
                        r.bandwidthGbs());
                if (r.tests().stream().anyMatch(t -> t.nGen() > 0)) { // no tg test (-n 0): no fraction to state
                    System.out.printf(Locale.ROOT, "; tg reaches %.0f%% of the bandwidth limit", 100 * r.tgBandwidthFraction());
                }
                System.out.println();
            }
        }
        return 0;
    }
}
