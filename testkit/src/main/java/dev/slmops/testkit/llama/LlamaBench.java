package dev.slmops.testkit.llama;

import dev.slmops.testkit.ProcessMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static dev.slmops.testkit.llama.LlamaNative.BATCH;
import static dev.slmops.testkit.llama.LlamaNative.CONTEXT_PARAMS;
import static dev.slmops.testkit.llama.LlamaNative.THREADPOOL_PARAMS;
import static dev.slmops.testkit.llama.LlamaNative.setAddress;
import static dev.slmops.testkit.llama.LlamaNative.setBool;
import static dev.slmops.testkit.llama.LlamaNative.setInt;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What {@code llama-bench} measures, done with llama.cpp's C API from Java: prompt processing ({@code pp512}:
 * decode 512 random tokens as one batch) and text generation ({@code tg128}: decode 128 tokens one at a time),
 * tokens per second as mean and sample standard deviation over repetitions. The shipped npm package has
 * llama.cpp's libraries but no llama-bench binary; this follows {@code tools/llama-bench/llama-bench.cpp} of the
 * same release (v0.4.0 of node-llama-cpp's build) step by step:
 *
 * <ul>
 *   <li>model: llama.cpp's default model params (CPU, mmap, extra buffer types on: Q4_0/Q8_0 weights are
 *       repacked into the CPU backend's interleaved layouts at load, as llama-bench does);</li>
 *   <li>one context per test with {@code n_ctx = n_prompt + n_gen}, {@code n_batch = 2048}, {@code n_ubatch =
 *       512} (llama-bench's defaults: a 512-token prompt is one ubatch), F16 K and V cache, flash attention
 *       {@code auto} (llama-bench's default {@code -fa auto}; the CPU backend supports it, so it is on),
 *       {@code n_threads = n_threads_batch = t};</li>
 *   <li>a ggml thread pool of {@code t} threads with {@code poll = 50} attached to the context, as llama-bench
 *       does (without one, ggml starts and joins its worker threads for every decode);</li>
 *   <li>one warm-up run (the whole prompt; one generated token), then {@code reps} repetitions, each after
 *       {@code llama_memory_clear}; a repetition's time covers its {@code llama_decode} calls and the
 *       {@code llama_synchronize}. Token ids are random ({@code BOS} first when the model adds one), drawn
 *       before the clock starts from a fixed seed.</li>
 * </ul>
 *
 * <h2>Memory</h2>
 * The JVM hosting llama.cpp has its own resident memory, which a native llama-bench process would not have. So
 * besides the process's peak ({@code VmHWM}) this reports the growth llama.cpp caused: the peak resident set
 * while the model was loaded and benchmarked minus the resident set just before the model was loaded
 * ({@code VmHWM} reset with {@link ProcessMemory#resetPeak()} at that moment). The libraries are already loaded
 * then, so their own pages (a few MiB) are not in the growth; the model's mapped pages, the repacked weights,
 * the KV cache and the compute buffers are. The Java side allocates nothing per decode.
 */
@SuppressWarnings("restricted") // FFM: the thread pool functions are found at run time
public final class LlamaBench {
    private LlamaBench() {
    }

    /** llama-bench's {@code -fa}. */
    public enum FlashAttention {
        AUTO(LlamaNative.LLAMA_FLASH_ATTN_TYPE_AUTO), OFF(LlamaNative.LLAMA_FLASH_ATTN_TYPE_DISABLED),
        ON(LlamaNative.LLAMA_FLASH_ATTN_TYPE_ENABLED);

        final int llamaValue;

        FlashAttention(int llamaValue) {
            this.llamaValue = llamaValue;
        }
    }

    /** The thread pool's spin-wait level (0 = sleep at once .. 100), llama-bench's {@code --poll} default. */
    static final int POLL = 50;
    /** Seed of the random token ids (llama-bench uses {@code std::rand()} unseeded). */
    static final long TOKEN_SEED = 1;

    /**
     * What to run: the llama-bench flags of the same names.
     *
     * @param nPrompt    {@code -p}: prompt tokens of the pp test; 0 skips it
     * @param nGen       {@code -n}: generated tokens of the tg test; 0 skips it
     * @param reps       {@code -r}: timed repetitions per test
     * @param threads    {@code -t}: ggml threads (n_threads and n_threads_batch)
     * @param nBatch     {@code -b}: tokens per llama_decode call of the pp test
     * @param nUbatch    {@code -ub}: tokens per compute graph
     * @param f32KvCache K and V cached as F32 ({@code -ctk f32 -ctv f32}) instead of F16
     * @param warmup     false: {@code --no-warmup}
     */
    public record Options(int nPrompt, int nGen, int reps, int threads, int nBatch, int nUbatch,
                          boolean f32KvCache, FlashAttention flashAttention, boolean warmup) {
        public Options {
            if (nPrompt < 0 || nGen < 0 || nPrompt + nGen == 0) {
                throw new IllegalArgumentException("-p and -n must be >= 0 and not both 0, got -p " + nPrompt
                        + " -n " + nGen);
            }
            if (reps < 1) throw new IllegalArgumentException("-r (repetitions) must be >= 1, got " + reps);
            if (threads < 1 || threads > LlamaNative.GGML_MAX_N_THREADS) {
                throw new IllegalArgumentException("-t (threads) must be in 1.." + LlamaNative.GGML_MAX_N_THREADS
                        + ", got " + threads);
            }
            if (nBatch < 1 || nUbatch < 1) {
                throw new IllegalArgumentException("-b and -ub must be >= 1, got " + nBatch + " and " + nUbatch);
            }
            if (flashAttention == null) throw new IllegalArgumentException("flashAttention must not be null");
        }

        /** llama-bench's defaults ({@code -p 512 -n 128 -r 5 -b 2048 -ub 512 -fa auto}, F16 cache), 2 threads. */
        public static Options defaults() {
            return new Options(512, 128, 5, 2, 2048, 512, false, FlashAttention.AUTO, true);
        }

        public Options withTokens(int nPrompt, int nGen, int reps) {
            return new Options(nPrompt, nGen, reps, threads, nBatch, nUbatch, f32KvCache, flashAttention, warmup);
        }

        public Options withThreads(int threads) {
            return new Options(nPrompt, nGen, reps, threads, nBatch, nUbatch, f32KvCache, flashAttention, warmup);
        }

        public String kvType() {
            return f32KvCache ? "f32" : "f16";
        }
    }

    /**
     * Benchmarks {@code gguf} as llama-bench would: a pp test when {@code nPrompt > 0}, then a tg test when
     * {@code nGen > 0}.
     */
    public static BenchReport run(Path gguf, Options options) {
        LlamaNative n = LlamaCpp.lib(); // libraries loaded before the baseline: their pages are not llama.cpp's growth
        ThreadPoolFunctions pool = ThreadPoolFunctions.get(n);
        long processPeakBefore = ProcessMemory.peakRssBytes();
        boolean peakReset = ProcessMemory.resetPeak();
        long rssBeforeLoad = ProcessMemory.rssBytes();

        List<BenchReport.Test> tests = new ArrayList<>();
        String type;
        long modelBytes;
        long params;
        try (LlamaCpp.Model model = LlamaCpp.load(gguf)) {
            type = model.ftypeName();
            modelBytes = model.sizeBytes();
            params = model.nParams();
            if (options.nPrompt() > 0) {
                tests.add(runTest(n, pool, model, options, options.nPrompt(), 0));
            }
            if (options.nGen() > 0) {
                tests.add(runTest(n, pool, model, options, 0, options.nGen()));
            }
        }
        long peakSinceLoad = ProcessMemory.peakRssBytes();
        return new BenchReport("llama.cpp", gguf.toAbsolutePath(), type, modelBytes, params, options.threads(),
                options.flashAttention().name().toLowerCase(), options.kvType(), List.copyOf(tests),
                Math.max(processPeakBefore, peakSinceLoad), peakSinceLoad - rssBeforeLoad, rssBeforeLoad,
                peakReset);
    }

    /** One llama-bench test: a fresh context and thread pool, warm-up, {@code reps} timed repetitions. */
    private static BenchReport.Test runTest(LlamaNative n, ThreadPoolFunctions pool, LlamaCpp.Model model,
                                            Options o, int nPrompt, int nGen) {
        String name = nPrompt > 0 ? "pp" + nPrompt : "tg" + nGen;
        double[] tokensPerS = new double[o.reps()];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctx = newContext(n, model, o, nPrompt + nGen, arena);
            MemorySegment threadpool = MemorySegment.NULL;
            try {
                threadpool = pool.create(n, o.threads(), arena);
                n.attachThreadpool.invokeExact(ctx, threadpool, MemorySegment.NULL);
                MemorySegment memory = (MemorySegment) n.getMemory.invokeExact(ctx);
                n.memoryClear.invokeExact(memory, (byte) 0);

                Decoder decoder = new Decoder(n, model, ctx, Math.max(nPrompt, nGen), arena);
                SplittableRandom random = new SplittableRandom(TOKEN_SEED);
                if (o.warmup()) {
                    if (nPrompt > 0) decoder.prompt(random, nPrompt, o);
                    if (nGen > 0) decoder.generate(random, 1, o);
                }
                for (int rep = 0; rep < o.reps(); rep++) {
                    n.memoryClear.invokeExact(memory, (byte) 0);
                    long ns = nPrompt > 0 ? decoder.prompt(random, nPrompt, o) : decoder.generate(random, nGen, o);
                    tokensPerS[rep] = 1e9 * (nPrompt + nGen) / ns;
                }
            } finally {
                n.free.invokeExact(ctx);
                if (!threadpool.equals(MemorySegment.NULL)) pool.free.invokeExact(threadpool);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return new BenchReport.Test(name, nPrompt, nGen, o.reps(), BenchReport.Throughput.of(tokensPerS));
    }

    /** llama-bench's {@code to_llama_cparams()}: llama.cpp's defaults with the benchmark's settings. */
    private static MemorySegment newContext(LlamaNative n, LlamaCpp.Model model, Options o, int nCtx, Arena arena)
            throws Throwable {
        MemorySegment p = LlamaCpp.contextDefaultParams(n, arena);
        setInt(p, CONTEXT_PARAMS, "n_ctx", nCtx);
        setInt(p, CONTEXT_PARAMS, "n_batch", o.nBatch());
        setInt(p, CONTEXT_PARAMS, "n_ubatch", o.nUbatch());
        setInt(p, CONTEXT_PARAMS, "n_threads", o.threads());
        setInt(p, CONTEXT_PARAMS, "n_threads_batch", o.threads());
        int kvType = o.f32KvCache() ? LlamaNative.GGML_TYPE_F32 : LlamaNative.GGML_TYPE_F16;
        setInt(p, CONTEXT_PARAMS, "type_k", kvType);
        setInt(p, CONTEXT_PARAMS, "type_v", kvType);
        setInt(p, CONTEXT_PARAMS, "flash_attn_type", o.flashAttention().llamaValue);
        setBool(p, CONTEXT_PARAMS, "embeddings", false);
        setBool(p, CONTEXT_PARAMS, "swa_full", false);
        n.clearLog();
        MemorySegment ctx = (MemorySegment) n.initFromModel.invokeExact(model.handle(), p);
        if (ctx.equals(MemorySegment.NULL)) {
            throw new LlamaCpp.LlamaException("llama_init_from_model failed for " + model.file() + " (n_ctx " + nCtx
                    + ")\n--- llama.cpp log (last lines) ---\n" + n.recentLog());
        }
        return ctx;
    }

    /**
     * llama-bench's {@code test_prompt} and {@code test_gen} over one context, with the batch struct and the
     * token buffer allocated once: nothing is allocated on the Java heap between the clock readings.
     */
    private static final class Decoder {
        private final LlamaNative n;
        private final MemorySegment ctx;
        private final int nVocab;
        private final int bos; // -1: the model adds no BOS
        private final MemorySegment tokens; // int32[capacity]
        private final MemorySegment batch;  // struct llama_batch, as llama_batch_get_one fills it
        private static final long N_TOKENS = LlamaNative.offset(BATCH, "n_tokens");
        private static final long TOKEN = LlamaNative.offset(BATCH, "token"); // llama_token *, 8 bytes (LP64)

        Decoder(LlamaNative n, LlamaCpp.Model model, MemorySegment ctx, int capacity, Arena arena) {
            this.n = n;
            this.ctx = ctx;
            this.nVocab = model.nVocab();
            this.bos = model.addsBos() ? model.bos() : -1;
            this.tokens = arena.allocate(JAVA_INT, capacity);
            this.batch = arena.allocate(BATCH);
            // llama_batch_get_one(tokens, n): no pos / seq_id / logits arrays; llama.cpp then places the tokens
            // after the ones in the cache, in sequence 0, and outputs logits for the last one only.
            for (String f : new String[] {"embd", "pos", "n_seq_id", "seq_id", "logits"}) {
                setAddress(batch, BATCH, f, MemorySegment.NULL);
            }
        }

        /** Fills tokens[0..count) with random ids, BOS first when the model adds one. */
        private void drawTokens(SplittableRandom random, int count) {
            for (int i = 0; i < count; i++) {
                int id = i == 0 && bos >= 0 ? bos : random.nextInt(nVocab);
                tokens.setAtIndex(JAVA_INT, i, id);
            }
        }

        /** pp: {@code count} tokens in chunks of n_batch, then synchronize. Returns nanoseconds. */
        long prompt(SplittableRandom random, int count, Options o) throws Throwable {
            drawTokens(random, count);
            n.setNThreads.invokeExact(ctx, o.threads(), o.threads());
            long start = System.nanoTime();
            for (int done = 0; done < count; ) {
                int chunk = Math.min(count - done, o.nBatch());
                decode(done, chunk);
                done += chunk;
            }
            n.synchronize.invokeExact(ctx);
            return System.nanoTime() - start;
        }

        /** tg: {@code count} single-token decodes, each followed by synchronize. Returns nanoseconds. */
        long generate(SplittableRandom random, int count, Options o) throws Throwable {
            drawTokens(random, count);
            n.setNThreads.invokeExact(ctx, o.threads(), o.threads());
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                decode(i, 1);
                n.synchronize.invokeExact(ctx);
            }
            return System.nanoTime() - start;
        }

        /** One llama_decode of tokens[first .. first+count) (the raw address is written: no slice object). */
        private void decode(int first, int count) throws Throwable {
            batch.set(JAVA_INT, N_TOKENS, count);
            batch.set(JAVA_LONG, TOKEN, tokens.address() + (long) first * Integer.BYTES);
            int rc = (int) n.decode.invokeExact(ctx, batch);
            if (rc != 0) {
                throw new LlamaCpp.LlamaException("llama_decode of " + count + " tokens at position " + first
                        + " returned " + rc + "\n--- llama.cpp log (last lines) ---\n" + n.recentLog());
            }
        }
    }

    /**
     * {@code ggml_threadpool_new} / {@code ggml_threadpool_free}, which live in the CPU backend library and are
     * found through its registry entry, as llama-bench finds them.
     */
    private record ThreadPoolFunctions(MethodHandle create, MethodHandle free) {
        private static ThreadPoolFunctions instance;

        static synchronized ThreadPoolFunctions get(LlamaNative n) {
            if (instance == null) {
                instance = new ThreadPoolFunctions(
                        n.cpuBackendFunction("ggml_threadpool_new", FunctionDescriptor.of(ADDRESS, ADDRESS)),
                        n.cpuBackendFunction("ggml_threadpool_free", FunctionDescriptor.ofVoid(ADDRESS)));
            }
            return instance;
        }

        /** A pool of {@code threads} workers: ggml's default params (no affinity, normal priority), poll 50. */
        MemorySegment create(LlamaNative n, int threads, Arena arena) throws Throwable {
            MemorySegment params = arena.allocate(THREADPOOL_PARAMS);
            n.threadpoolParamsInit.invokeExact(params, threads);
            setInt(params, THREADPOOL_PARAMS, "poll", POLL);
            MemorySegment pool = (MemorySegment) create.invokeExact(params);
            if (pool.equals(MemorySegment.NULL)) {
                throw new LlamaCpp.LlamaException("ggml_threadpool_new failed for " + threads + " threads");
            }
            return pool;
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /**
     * {@code java -cp <testkit classpath> dev.slmops.testkit.llama.LlamaBench --model F [-p 512] [-n 128] [-r 5]
     * [-t 2] [-b 2048] [-ub 512] [-fa auto|on|off] [-ctk f16|f32] [--no-warmup] [--output md|json]}: prints the
     * report on stdout; llama.cpp's warnings go to stderr. Exit code 2 on bad arguments, 1 when the run fails.
     */
    public static void main(String[] args) {
        LlamaBenchArgs parsed;
        try {
            parsed = LlamaBenchArgs.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("llama-bench (slmops testkit): " + e.getMessage());
            System.err.println(LlamaBenchArgs.USAGE);
            System.exit(2);
            return;
        }
        if (parsed == null) {
            System.out.println(LlamaBenchArgs.USAGE);
            return;
        }
        BenchReport report;
        try {
            report = run(parsed.model(), parsed.options());
        } catch (RuntimeException e) {
            System.err.println("llama-bench (slmops testkit): benchmarking " + parsed.model() + " failed: "
                    + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.print(parsed.json() ? report.toJson() : report.toMarkdown());
        System.out.flush();
    }
}
