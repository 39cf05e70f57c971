package dev.slmops.serve.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.convert.GgufExport;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.serve.OpenAiServer;
import dev.slmops.serve.ServeOptions;
import dev.slmops.serve.ServerMetrics;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.llama.LlamaCpp;
import dev.slmops.testkit.llama.LlamaParallelDecode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Load benchmark (not a test): C concurrent streaming clients against `slmops serve` for S seconds on a
 * qwen2.5-0.5b-shaped Q8_0 GGUF (random weights: speed does not depend on their values), then, in the same run,
 * llama.cpp decoding C sequences in one context per step (what llama-server --parallel C does) on the same file
 * and threads. Prints a markdown table: aggregate generated tokens/s, TTFT p50/p99, errors, RSS after warm-up and
 * at the end (and its growth), llama.cpp's tokens/s and the ratio; then per client count where a decode step went
 * (mean step time, sequences per step).
 *
 * <pre>
 *   scripts/bench-serve.sh [--clients 8,32] [--duration 300] [--warmup 90] [--threads 2] [--max-tokens 128]
 *                          [--prompt-tokens 32] [--model FILE.gguf] [--no-llama 1]
 * </pre>
 */
public final class ServeLoadBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        List<Integer> clients = java.util.Arrays.stream(a.getOrDefault("clients", "8,32").split(","))
                .map(Integer::parseInt).toList();
        int seconds = Integer.parseInt(a.getOrDefault("duration", a.getOrDefault("seconds", "300")));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "90"));
        int threads = Integer.parseInt(a.getOrDefault("threads", "2"));
        int maxTokens = Integer.parseInt(a.getOrDefault("max-tokens", "128"));
        int promptTokens = Integer.parseInt(a.getOrDefault("prompt-tokens", "32"));
        kvType = dev.slmops.model.engine.KvCache.Type.parse(a.getOrDefault("kv-type", "f32"));
        Path cache = Path.of(a.getOrDefault("cache", ".cache/bench"));
        Path gguf = a.containsKey("model") ? Path.of(a.get("model")) : makeModel(cache, threads);

        int[] prompt = new int[promptTokens];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < prompt.length; i++) prompt[i] = 100 + rnd.nextInt(20_000);

        System.out.printf(Locale.ROOT, "model %s, %d threads, prompt %d tokens, max_tokens %d, %d s (+%d s warm-up)"
                + ", load average %s%n", gguf.getFileName(), threads, promptTokens, maxTokens, seconds, warmup,
                Files.readString(Path.of("/proc/loadavg")).trim());
        List<String> rows = new ArrayList<>(), steps = new ArrayList<>();
        for (int c : clients) {
            Result s = serve(gguf, c, threads, prompt, maxTokens, seconds, warmup);
            double llama = a.containsKey("no-llama") ? Double.NaN : llama(gguf, c, threads, prompt, maxTokens, seconds);
            rows.add(String.format(Locale.ROOT, "| %d | %.1f | %.0f | %.0f | %d | %.0f | %.0f | %+.1f%% | %.1f | %.2f |", c,
                    s.tokensPerSecond, s.ttftP50, s.ttftP99, s.errors, s.rssWarm / 1048576, s.rssEnd / 1048576,
                    100 * (s.rssEnd / s.rssWarm - 1), llama, s.tokensPerSecond / llama));
            steps.add(String.format(Locale.ROOT, "%d clients: %.1f ms per forward pass, %.1f sequences per pass, "
                    + "%d requests completed", c, s.stepMillis, s.sequencesPerStep, s.requests));
            System.err.println("bench: " + rows.getLast()); // progress, in case a later client count fails
        }
        System.out.println("| clients | slmops tok/s | TTFT p50 ms | TTFT p99 ms | errors | RSS warm MiB | RSS end MiB "
                + "| RSS growth | llama.cpp tok/s | ratio |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
        System.out.println();
        steps.forEach(System.out::println);
    }

    record Result(double tokensPerSecond, double ttftP50, double ttftP99, long errors, double rssWarm, double rssEnd,
                  double stepMillis, double sequencesPerStep, long requests) {
    }

    /** The server's KV cache type (--kv-type f32|f16). */
    static dev.slmops.model.engine.KvCache.Type kvType = dev.slmops.model.engine.KvCache.Type.F32;

    static Result serve(Path gguf, int clients, int threads, int[] prompt, int maxTokens, int seconds, int warmup)
            throws Exception {
        ServeOptions o = new ServeOptions(Map.of("m", gguf), "127.0.0.1", 0, null, clients, clients * 2,
                Duration.ZERO, prompt.length + maxTokens + 8, threads, 1 << 20, maxTokens, 1, 512, Duration.ofSeconds(60), null, kvType);
        try (OpenAiServer server = OpenAiServer.start(o)) {
            server.models().load("m");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String body = "{\"model\":\"m\",\"prompt\":" + JSON.writeValueAsString(prompt) + ",\"max_tokens\":"
                    + maxTokens + ",\"temperature\":0,\"stream\":true}";
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
            long start = System.nanoTime();
            long warmEnd = start + warmup * 1_000_000_000L;
            long end = warmEnd + seconds * 1_000_000_000L;
            ConcurrentLinkedQueue<Double> ttfts = new ConcurrentLinkedQueue<>();
            AtomicLong errors = new AtomicLong(), requests = new AtomicLong();
            List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                ts.add(Thread.ofVirtual().start(() -> {
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        try {
                            HttpResponse<java.util.stream.Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
                            if (r.statusCode() != 200) {
                                errors.incrementAndGet();
                                r.body().close();
                                continue;
                            }
                            boolean[] first = {true};
                            boolean[] done = {false};
                            r.body().forEach(line -> {
                                if (!line.startsWith("data: ")) return;
                                if (line.equals("data: [DONE]")) {
                                    done[0] = true;
                                    return;
                                }
                                if (line.contains("\"error\"") && System.nanoTime() < end) errors.incrementAndGet();
                                if (first[0]) {
                                    first[0] = false;
                                    long now = System.nanoTime(); // first tokens inside the measured window
                                    if (now > warmEnd && now < end) ttfts.add((now - t0) / 1e6);
                                }
                            });
                            if (!done[0] && System.nanoTime() < end) errors.incrementAndGet();
                            else if (System.nanoTime() > warmEnd) requests.incrementAndGet();
                        } catch (Exception e) {
                            if (System.nanoTime() < end) errors.incrementAndGet(); // after it: the server closing
                        }
                    }
                }));
            }
            Thread progress = Thread.ofVirtual().start(() -> { // a line every 10 s on stderr: a stalled run shows
                try {
                    while (true) {
                        Thread.sleep(10_000);
                        double[] st = server.metrics().stepTotals();
                        System.err.printf(Locale.ROOT, "bench: %d clients, %.0f s: %d tokens, %.0f passes of %.1f ms, "
                                + "%d errors%n", clients, (System.nanoTime() - start) / 1e9,
                                server.metrics().completionTokensTotal(), st[0], st[1] / Math.max(1, st[0]), errors.get());
                    }
                } catch (InterruptedException e) {
                    // done
                }
            });
            while (System.nanoTime() < warmEnd) Thread.sleep(100);
            long tokensAtWarm = server.metrics().completionTokensTotal();
            double[] stepsAtWarm = server.metrics().stepTotals();
            double rssWarm = ServerMetrics.residentBytes();
            System.err.println("bench: after warm-up " + memory(server));
            while (System.nanoTime() < end) Thread.sleep(100);
            long tokens = server.metrics().completionTokensTotal() - tokensAtWarm;
            double[] stepsAtEnd = server.metrics().stepTotals();
            double rssEnd = ServerMetrics.residentBytes();
            System.err.println("bench: at the end " + memory(server));
            progress.interrupt();
            server.close(); // requests still running fail now (counted after the window): no waiting for them
            for (Thread t : ts) t.join();
            List<Double> sorted = ttfts.stream().sorted().collect(Collectors.toList());
            double passes = stepsAtEnd[0] - stepsAtWarm[0];
            return new Result(tokens / (double) seconds, pct(sorted, 0.5), pct(sorted, 0.99), errors.get(), rssWarm, rssEnd,
                    (stepsAtEnd[1] - stepsAtWarm[1]) / passes, (stepsAtEnd[2] - stepsAtWarm[2]) / passes, requests.get());
        }
    }

    /** Where the resident memory is: for telling KV pages, heap growth and the rest apart when RSS grows. */
    static String memory(OpenAiServer server) {
        Runtime rt = Runtime.getRuntime();
        var sched = server.models().loadedModels().getFirst().scheduler();
        return String.format(Locale.ROOT, "RSS %d MiB, heap %d MiB used of %d committed, KV pages %d MiB in use (peak %d)",
                (long) ServerMetrics.residentBytes() >> 20, (rt.totalMemory() - rt.freeMemory()) >> 20, rt.totalMemory() >> 20,
                sched.kvBytesInUse() >> 20, sched.kvBytesPeak() >> 20);
    }

    static double llama(Path gguf, int clients, int threads, int[] prompt, int maxTokens, int seconds) {
        try (LlamaCpp.Model m = LlamaCpp.load(gguf);
             LlamaParallelDecode d = new LlamaParallelDecode(m, clients, prompt.length + maxTokens + 8, threads)) {
            d.round(prompt, 4); // warm-up
            long t0 = System.nanoTime(), tokens = 0;
            while (System.nanoTime() - t0 < seconds * 1_000_000_000L) tokens += d.round(prompt, maxTokens);
            return tokens / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double pct(List<Double> sorted, double p) {
        if (sorted.isEmpty()) return Double.NaN;
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(p * sorted.size())));
    }

    /** qwen2.5-0.5b shape, random weights: HF bf16 -> F16 GGUF (ours) -> Q8_0 (llama.cpp's quantizer, pure). */
    static Path makeModel(Path cache, int threads) throws Exception {
        Path q8 = cache.resolve("qwen2.5-0.5b-q8_0.gguf");
        if (Files.exists(q8)) return q8;
        Files.createDirectories(cache);
        Path hf = cache.resolve("qwen2.5-0.5b-hf");
        if (!Files.exists(hf.resolve("config.json"))) {
            System.err.println("bench: making a qwen2.5-0.5b-shaped model (random weights)");
            TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig("qwen2.5-0.5b"), DType.BF16, 1, 0),
                    null, hf, true);
        }
        Path f16 = cache.resolve("qwen2.5-0.5b-f16.gguf");
        if (!Files.exists(f16)) {
            Path tmp = cache.resolve("qwen2.5-0.5b-f16.tmp.gguf");
            try (ModelFiles files = ModelFiles.open(hf)) {
                GgufExport.write(files, DType.F16, tmp, w -> { });
            }
            Files.move(tmp, f16);
        }
        Path tmp = cache.resolve("qwen2.5-0.5b-q8_0.tmp.gguf");
        LlamaCpp.quantize(f16, tmp, LlamaCpp.FTYPE_MOSTLY_Q8_0, threads, true);
        Files.move(tmp, q8);
        return q8;
    }

    private ServeLoadBench() {
    }
}
