package dev.slmops.workflows.bench;

import dev.slmops.model.engine.KvCache;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.gguf.GgufKeys;
import dev.slmops.model.load.ContextTooLongException;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.workflows.quantize.QuantType;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Measures a model the way llama-bench does: pp = one batched forward over P random prompt tokens, tg = N
 * single-token forwards, each from an empty cache, repeated R times after warm-up runs. The warm-up runs the test
 * for at least {@link #WARMUP_NANOS} (once where one run takes longer): the JIT compiles the big vector kernels for
 * seconds after their first calls, and with a single warm-up run the first measured repetition of smollm2-135m's
 * tg128 ran at 210 tokens/s against ~300 for the others (the cost of a cold start is the TTFT figure). Adds what
 * llama-bench does not: peak RSS, time to the first token from process start, and decode speed as a fraction of the
 * memory-bandwidth limit (weight bytes read per token / measured bandwidth).
 */
public final class Benchmark {
    private Benchmark() {
    }

    /** How long each test is run before it is measured, at least. */
    private static final long WARMUP_NANOS = 2_000_000_000L;
    /** At most this many warm-up runs. */
    private static final int MAX_WARMUP_RUNS = 20;

    /**
     * @param promptTokens P (0 skips pp)
     * @param genTokens    N (0 skips tg)
     * @param reps         R >= 1
     * @param threads      compute threads (0: all)
     * @param kvType       KV cache element type (llama-bench's -ctk/-ctv; F32 by default)
     */
    public record Options(Path model, int promptTokens, int genTokens, int reps, int threads, KvCache.Type kvType) {
        /** An F32 KV cache. */
        public Options(Path model, int promptTokens, int genTokens, int reps, int threads) {
            this(model, promptTokens, genTokens, reps, threads, KvCache.Type.F32);
        }

        public Options {
            if (kvType == null) throw new IllegalArgumentException("kvType must be F32 or F16, not null");
            if (promptTokens < 0 || genTokens < 0) throw new IllegalArgumentException("-p and -n must be >= 0");
            if (promptTokens == 0 && genTokens == 0) throw new IllegalArgumentException("nothing to measure: -p and -n are both 0");
            if (reps < 1) throw new IllegalArgumentException("-r must be >= 1, got " + reps);
            if (threads < 0) throw new IllegalArgumentException("-t must be >= 0, got " + threads);
        }
    }

    /** One measured test: tokens per second over the repetitions. */
    public record Test(String name, int nPrompt, int nGen, int reps, Stats tokensPerS) {
    }

    public record Stats(double mean, double stddev, double[] samples) {
        static Stats of(double[] s) {
            double mean = 0;
            for (double v : s) mean += v;
            mean /= s.length;
            double var = 0;
            for (double v : s) var += (v - mean) * (v - mean);
            return new Stats(mean, s.length > 1 ? Math.sqrt(var / (s.length - 1)) : 0, s);
        }
    }

    /**
     * @param bytesPerToken       weight bytes one decode step reads (every matrix once, the output matrix included)
     * @param bandwidthGbs        read bandwidth measured on this machine with the same threads
     * @param tgBandwidthFraction tg tokens/s * bytesPerToken / bandwidth: how close decode is to the memory limit
     * @param ttftColdMs          from JVM start to the first generated token (load and a 16-token prompt included)
     */
    public record Result(String tool, String model, String type, long modelBytes, long params, int threads,
                         List<Test> tests, long peakRssBytes, double ttftColdMs, long bytesPerToken,
                         double bandwidthGbs, double tgBandwidthFraction) {
    }

    public static Result run(Options o) throws IOException {
        int context = Math.max(64, o.promptTokens() + o.genTokens() + 16);
        try (LoadedModel m = load(o, context)) {
            Transformer model = m.transformer();
            int V = m.config().vocabSize();
            SplittableRandom random = new SplittableRandom(1234);

            dev.slmops.tensor.parallel.JitSettings.warning().ifPresent(w -> System.err.println("warning: " + w));
            // Time to first token from a cold start: load above, then a 16-token prompt and one generated token.
            KvCache cache = m.newCache(); // one cache for every run, emptied before each
            float[] logits = model.forward(cache, randomTokens(random, 16, V), false);
            argmax(logits, V);
            double ttft = ManagementFactory.getRuntimeMXBean().getUptime();

            List<Test> tests = new ArrayList<>();
            if (o.promptTokens() > 0) {
                int[] prompt = randomTokens(random, o.promptTokens(), V);
                warmUp(() -> prefill(m, cache, prompt));
                double[] s = new double[o.reps()];
                for (int r = 0; r < o.reps(); r++) s[r] = o.promptTokens() / seconds(() -> prefill(m, cache, prompt));
                tests.add(new Test("pp" + o.promptTokens(), o.promptTokens(), 0, o.reps(), Stats.of(s)));
            }
            if (o.genTokens() > 0) {
                int[] tokens = randomTokens(random, o.genTokens(), V);
                warmUp(() -> decode(m, cache, tokens));
                double[] s = new double[o.reps()];
                for (int r = 0; r < o.reps(); r++) s[r] = o.genTokens() / seconds(() -> decode(m, cache, tokens));
                tests.add(new Test("tg" + o.genTokens(), 0, o.genTokens(), o.reps(), Stats.of(s)));
            }
            // Read before the bandwidth probe below allocates its 256 MiB buffer (not the engine's memory).
            long peakRss = peakRss();
            long modelBytes = 0, params = 0;
            for (StoredTensor t : m.files().storedTensors()) {
                modelBytes += t.byteSize();
                params += t.elementCount();
            }
            long perToken = bytesPerToken(m);
            double bandwidth = Bandwidth.measureGbs(m.pool());
            double tg = tests.stream().filter(t -> t.nGen() > 0).mapToDouble(t -> t.tokensPerS().mean()).findFirst().orElse(0);
            return new Result("slmops", o.model().toString(), modelType(m), modelBytes, params, m.pool().threads(),
                    tests, peakRss, ttft, perToken, bandwidth, tg * perToken / (bandwidth * 1e9));
        }
    }

    /** The model with room for the tests; a model too short for them is told in the benchmark's own terms. */
    private static LoadedModel load(Options o, int context) throws IOException {
        try {
            return LoadedModel.load(o.model(), new LoadedModel.Options(context, o.threads(), o.kvType()));
        } catch (ContextTooLongException e) {
            throw new IllegalArgumentException("-p " + o.promptTokens() + " and -n " + o.genTokens() + " need a context of "
                    + e.requested() + " tokens (prompt + generated + 16), more than this model's " + e.limit()
                    + ": use a smaller -p or -n (together at most " + (e.limit() - 16) + ")", e);
        }
    }

    /** Runs {@code test} once, then again until {@link #WARMUP_NANOS} have passed (at most MAX_WARMUP_RUNS times). */
    private static void warmUp(Runnable test) {
        long until = System.nanoTime() + WARMUP_NANOS;
        int runs = 0;
        do {
            test.run();
            runs++;
        } while (System.nanoTime() < until && runs < MAX_WARMUP_RUNS);
    }

    private static void prefill(LoadedModel m, KvCache cache, int[] prompt) {
        cache.truncate(0); // an empty cache, reused as llama-bench clears its KV cache between runs
        for (int from = 0; from < prompt.length; from += 512) {
            m.transformer().forward(cache, java.util.Arrays.copyOfRange(prompt, from, Math.min(prompt.length, from + 512)), false);
        }
    }

    private static void decode(LoadedModel m, KvCache cache, int[] tokens) {
        cache.truncate(0);
        int[] one = new int[1];
        float[] logits = null; // one [V] array for the run, as a generation loop keeps
        for (int t : tokens) {
            one[0] = t;
            logits = m.transformer().forwardInto(cache, one, null, logits);
        }
    }

    private static double seconds(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static int[] randomTokens(SplittableRandom r, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    private static int argmax(float[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /**
     * Weight bytes a decode step reads: every stored tensor once (the output matrix included), except the
     * embedding table when it is not also the output matrix (then one row of it is read). Counted from the file's
     * tensors, so nothing is loaded twice to count it.
     */
    static long bytesPerToken(LoadedModel m) {
        long total = 0, embedding = 0;
        for (StoredTensor t : m.files().storedTensors()) {
            total += t.byteSize();
            if (t.name().equals("model.embed_tokens.weight") || t.name().equals("token_embd.weight")) embedding = t.byteSize();
        }
        return m.config().tieEmbeddings() ? total : total - embedding;
    }

    /**
     * The model's type as llama-bench names it, by its file type: a GGUF's {@code general.file_type} where it names
     * one of {@link QuantType}'s (Q4_K_M for that mix of Q4_K, Q6_K and fallbacks), else {@link #dominantType}.
     */
    static String modelType(LoadedModel m) {
        Object fileType = m.files().gguf().map(g -> g.metadata().get(GgufKeys.FILE_TYPE)).orElse(null);
        if (fileType instanceof Number n) {
            for (QuantType t : QuantType.values()) {
                if (t.ftype == n.longValue()) return t.name();
            }
        }
        return dominantType(m);
    }

    /** The type most of the weight bytes are stored in. */
    static String dominantType(LoadedModel m) {
        java.util.Map<String, Long> bytes = new java.util.HashMap<>();
        for (StoredTensor t : m.files().storedTensors()) bytes.merge(t.dtype().name(), t.byteSize(), Long::sum);
        return bytes.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).map(java.util.Map.Entry::getKey).orElse("?");
    }

    /** Peak resident set size (VmHWM) of this process, or -1 where /proc is not available. */
    public static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
