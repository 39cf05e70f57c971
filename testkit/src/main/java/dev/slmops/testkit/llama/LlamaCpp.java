package dev.slmops.testkit.llama;

import dev.slmops.testkit.ProjectFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.slmops.testkit.llama.LlamaNative.BATCH;
import static dev.slmops.testkit.llama.LlamaNative.CONTEXT_PARAMS;
import static dev.slmops.testkit.llama.LlamaNative.MODEL_PARAMS;
import static dev.slmops.testkit.llama.LlamaNative.QUANTIZE_PARAMS;
import static dev.slmops.testkit.llama.LlamaNative.setAddress;
import static dev.slmops.testkit.llama.LlamaNative.setBool;
import static dev.slmops.testkit.llama.LlamaNative.setInt;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * llama.cpp as a test oracle: load a GGUF, tokenize, get the logits of every position, decode greedily, apply a
 * LoRA adapter, quantize a file. A thin, friendly layer over {@link LlamaNative} (FFM, {@code java.lang.foreign}
 * only), bound to the prebuilt libraries of {@code @node-llama-cpp/linux-x64@3.21.1}, i.e. llama.cpp release
 * {@code v0.4.0} of node-llama-cpp's build; the struct layouts are transcribed from that release's llama.h.
 *
 * <h2>Comparing an engine with llama.cpp</h2>
 * <ul>
 *   <li>Open the context with {@code newContext(nCtx, true)}: F32 K/V cache (the default F16 cache alone moves
 *       logits by ~1e-3), flash attention off, one ubatch of {@code nCtx} tokens, 2 threads.</li>
 *   <li>Get the reference with {@link Context#logitsAll(int[])} (or {@link #referenceLogits(Path, int[])} in one
 *       call): {@code [nTokens][nVocab]} raw logits (before any softmax or sampling) for positions 0..n-1 of a
 *       fresh sequence, e.g. a 64-token prompt. Compare position by position with
 *       {@code |ours - theirs| <= 1e-4 * max(1, max|theirs| of that row)}: {@code LogitsDiff.of(ours, theirs)
 *       .assertWithin(1e-4)} does it and names the worst position and token.</li>
 *   <li>Expect that tolerance on F32 weights only. For F16 (and BF16) weights, ggml's CPU matmul rounds the
 *       activations to F16 before the dot product (the weight type's {@code vec_dot_type}), and for Q8_0/Q4_x/K
 *       weights it quantizes the activations to Q8_0/Q8_K: an engine that keeps activations in F32 then differs
 *       by ~1e-3 relative (F16) or ~1e-2 (4-bit). Either mimic that rounding or widen the tolerance and say so.
 *       To get an F32 model from an F16 one, use {@link #quantize} with ftype 0 ({@code LLAMA_FTYPE_ALL_F32}).</li>
 *   <li>Use the same token ids on both sides (tokenize once, with {@link Model#tokenize}).</li>
 * </ul>
 *
 * <h2>Threads and lifetime</h2>
 * The libraries are loaded once per JVM (from {@link ProjectFiles#llamaCppLibDir()}) and stay loaded. One
 * {@link Context} must be used by one thread at a time (llama.cpp contexts are not thread-safe); several
 * contexts of one model may run in parallel threads (the weights are read-only; tested), and tokenization is
 * thread-safe. Opening and closing models, contexts and adapters is not synchronised: do it from one thread.
 * Tests should hold one model at a time and close it (try-with-resources); closing a model closes its contexts
 * and adapters first. Each context runs 2 ggml worker threads while it decodes.
 *
 * <h2>Untrusted files</h2>
 * llama.cpp refuses most bad GGUF files with an error, which {@link #load} turns into a {@link LlamaException};
 * but some still abort the process from a {@code GGML_ASSERT} (seen: a vocabulary with a duplicated token text,
 * about 1 in 100 random bit flips of a header). Probe such files with {@link LlamaLoadProbe}, in a child JVM.
 *
 * <p>Errors: a native call that fails throws {@link LlamaException} whose message names the file or call and
 * quotes the lines llama.cpp logged. llama.cpp's warnings and errors are echoed to stderr; run with
 * {@code -Dslmops.llama.log=true} to see all of its log.
 */
@SuppressWarnings("restricted") // FFM: sizes native pointers that llama.cpp returns
public final class LlamaCpp {
    private LlamaCpp() {
    }

    /** {@code llama_ftype} values for {@link #quantize}: the common ones (see llama.h for the full list). */
    /**
     * ggml threads of each context: 2, or {@code -Dslmops.llama.threads=N} (1 on an overloaded machine, where 2
     * spin-waiting threads collapse when the scheduler preempts one of them).
     */
    static final int CONTEXT_THREADS = Math.max(1, Integer.getInteger("slmops.llama.threads", 2));

    public static final int FTYPE_ALL_F32 = 0;
    public static final int FTYPE_MOSTLY_F16 = 1;
    public static final int FTYPE_MOSTLY_Q4_0 = 2;
    public static final int FTYPE_MOSTLY_Q4_1 = 3;
    public static final int FTYPE_MOSTLY_Q8_0 = 7;
    public static final int FTYPE_MOSTLY_Q4_K_M = 15;
    public static final int FTYPE_MOSTLY_Q5_K_M = 17;
    public static final int FTYPE_MOSTLY_Q6_K = 18;
    public static final int FTYPE_MOSTLY_BF16 = 32;

    /** {@code llama_token_attr} bits, as {@link Model#tokenAttr} returns them. */
    public static final int TOKEN_ATTR_UNKNOWN = 1, TOKEN_ATTR_UNUSED = 1 << 1, TOKEN_ATTR_NORMAL = 1 << 2,
            TOKEN_ATTR_CONTROL = 1 << 3, TOKEN_ATTR_USER_DEFINED = 1 << 4, TOKEN_ATTR_BYTE = 1 << 5;

    /** Which llama.cpp these bindings were written against. */
    public static String release() {
        return LlamaNative.RELEASE;
    }

    /** {@code llama_version()} of the loaded library. */
    public static String version() {
        return cString(n -> (MemorySegment) n.version.invokeExact());
    }

    /**
     * {@code llama_print_system_info()}: the CPU features of the ggml CPU backend variant that
     * {@code ggml_backend_load_all_from_path} picked for this machine (e.g. {@code AVX512 = 1}).
     */
    public static String systemInfo() {
        return cString(n -> (MemorySegment) n.printSystemInfo.invokeExact());
    }

    @FunctionalInterface
    private interface CStringCall {
        MemorySegment call(LlamaNative n) throws Throwable;
    }

    private static String cString(CStringCall f) {
        try {
            MemorySegment p = f.call(lib());
            return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(1 << 16).getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A llama.cpp call failed; the message names what and quotes llama.cpp's log. */
    public static final class LlamaException extends RuntimeException {
        LlamaException(String message) {
            super(message);
        }
    }

    static LlamaNative lib() {
        return LlamaNative.get(ProjectFiles.llamaCppLibDir());
    }

    private static LlamaException failure(LlamaNative n, String what) {
        String log = n.recentLog();
        return new LlamaException(what + (log.isEmpty() ? " (llama.cpp logged nothing)"
                : "\n--- llama.cpp log (last lines) ---\n" + log));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    private static Path requireFile(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + " not found: " + file.toAbsolutePath()
                    + " (expected a .gguf file)");
        }
        return file.toAbsolutePath();
    }

    // ------------------------------------------------------------------ defaults (used by the layout tests)

    /** {@code llama_model_default_params()} returned by value into a 80-byte segment of {@code arena}. */
    static MemorySegment modelDefaultParams(LlamaNative n, SegmentAllocator arena) {
        try {
            return (MemorySegment) n.modelDefaultParams.invokeExact(arena);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment contextDefaultParams(LlamaNative n, SegmentAllocator arena) {
        try {
            return (MemorySegment) n.contextDefaultParams.invokeExact(arena);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment quantizeDefaultParams(LlamaNative n, SegmentAllocator arena) {
        try {
            return (MemorySegment) n.quantizeDefaultParams.invokeExact(arena);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ------------------------------------------------------------------ model

    /**
     * The reference for an engine-parity test in one call: loads {@code gguf}, opens an F32-KV context of
     * {@code tokens.length} positions, returns {@link Context#logitsAll} and closes everything.
     *
     * @return [tokens.length][nVocab] raw logits
     */
    public static float[][] referenceLogits(Path gguf, int[] tokens) {
        try (Model model = load(gguf); Context ctx = model.newContext(Math.max(1, tokens.length), true)) {
            return ctx.logitsAll(tokens);
        }
    }

    /** Loads a GGUF model on the CPU, memory-mapped. */
    public static Model load(Path gguf) {
        Path file = requireFile(gguf, "GGUF model");
        LlamaNative n = lib();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = modelDefaultParams(n, arena);
            setInt(params, MODEL_PARAMS, "n_gpu_layers", 0);
            setInt(params, MODEL_PARAMS, "split_mode", LlamaNative.LLAMA_SPLIT_MODE_NONE);
            setInt(params, MODEL_PARAMS, "load_mode", LlamaNative.LLAMA_LOAD_MODE_MMAP);
            n.clearLog();
            MemorySegment model = (MemorySegment) n.modelLoadFromFile.invokeExact(
                    arena.allocateFrom(file.toString()), params);
            if (model.equals(MemorySegment.NULL)) {
                throw failure(n, "llama.cpp could not load " + file);
            }
            MemorySegment vocab = (MemorySegment) n.modelGetVocab.invokeExact(model);
            return new Model(n, file, model, vocab);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Quantizes (or converts) a GGUF model with {@code llama_model_quantize}, llama.cpp's default mix of
     * per-tensor types for {@code ftype} (e.g. {@link #FTYPE_MOSTLY_Q8_0}). Writes {@code out} atomically.
     */
    public static void quantize(Path in, Path out, int ftype, int nThreads) {
        quantize(in, out, ftype, nThreads, false);
    }

    /**
     * As {@link #quantize(Path, Path, int, int)}; with {@code pure} every 2-D tensor gets the ftype's one type
     * (no K-quant mix, no special case for the output or embedding tensors).
     */
    public static void quantize(Path in, Path out, int ftype, int nThreads, boolean pure) {
        Path src = requireFile(in, "GGUF model to quantize");
        Path dst = out.toAbsolutePath();
        LlamaNative n = lib();
        Path tmp = dst.resolveSibling(dst.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = quantizeDefaultParams(n, arena);
            setInt(params, QUANTIZE_PARAMS, "nthread", nThreads);
            setInt(params, QUANTIZE_PARAMS, "ftype", ftype);
            setBool(params, QUANTIZE_PARAMS, "pure", pure);
            n.clearLog();
            int rc = (int) n.modelQuantize.invokeExact(arena.allocateFrom(src.toString()),
                    arena.allocateFrom(tmp.toString()), params);
            if (rc != 0) {
                throw failure(n, "llama_model_quantize(" + src + " -> " + dst + ", ftype " + ftype
                        + ") returned " + rc);
            }
            Files.move(tmp, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move the quantized file into place at " + dst, e);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: a leftover temp file is named after our pid
            }
        }
    }

    /** A loaded model and its vocabulary. Not thread-safe except tokenization; close it when done. */
    public static final class Model implements AutoCloseable {
        private final LlamaNative n;
        private final Path file;
        private MemorySegment model; // llama_model *, NULL once closed
        private final MemorySegment vocab; // const llama_vocab *, owned by the model
        private final int nVocab;
        private final List<Context> contexts = new ArrayList<>();
        private final List<Adapter> adapters = new ArrayList<>();

        private Model(LlamaNative n, Path file, MemorySegment model, MemorySegment vocab) throws Throwable {
            this.n = n;
            this.file = file;
            this.model = model;
            this.vocab = vocab;
            this.nVocab = (int) n.vocabNTokens.invokeExact(vocab);
        }

        MemorySegment handle() {
            if (model == null) throw new IllegalStateException("model " + file + " is closed");
            return model;
        }

        public Path file() {
            return file;
        }

        /** {@code llama_model_n_params}: the number of weights. */
        public long nParams() {
            try {
                return (long) n.modelNParams.invokeExact(handle());
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** {@code llama_model_size}: bytes of all weight tensors. */
        public long sizeBytes() {
            try {
                return (long) n.modelSize.invokeExact(handle());
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        public int nVocab() {
            return nVocab;
        }

        /** {@code llama_vocab_get_add_bos}: whether the model's metadata asks for BOS before a prompt. */
        public boolean addsBos() {
            handle();
            try {
                return (byte) n.vocabGetAddBos.invokeExact(vocab) != 0;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /**
         * The file's weight type as llama.cpp names it ({@code llama_ftype_name(llama_model_ftype(model))}):
         * {@code F16}, {@code Q8_0}, {@code Q4_0}, {@code BF16}, {@code Q4_K - Medium} ...; {@code F32} for
         * llama.cpp's "all F32".
         */
        public String ftypeName() {
            try {
                int ftype = (int) n.modelFtype.invokeExact(handle());
                MemorySegment p = (MemorySegment) n.ftypeName.invokeExact(ftype);
                String name = p.reinterpret(256).getString(0, StandardCharsets.UTF_8);
                return name.equals("all F32") ? "F32" : name;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        public int nEmbd() {
            return intOf(n.modelNEmbd);
        }

        public int nLayer() {
            return intOf(n.modelNLayer);
        }

        public int nHead() {
            return intOf(n.modelNHead);
        }

        public int nHeadKv() {
            return intOf(n.modelNHeadKv);
        }

        public int nCtxTrain() {
            return intOf(n.modelNCtxTrain);
        }

        private int intOf(MethodHandle h) {
            try {
                return (int) h.invokeExact(handle());
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** {@code llama_model_desc}, e.g. {@code "llama ?B F16"}. */
        public String desc() {
            return readString((buf, size) -> (int) n.modelDesc.invokeExact(handle(), buf, size));
        }

        /**
         * A metadata value as llama.cpp renders it to a string ({@code llama_model_meta_val_str}); arrays are
         * not included. Throws {@link IllegalArgumentException} naming the key when the model has no such key.
         */
        public String metaString(String key) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment k = arena.allocateFrom(key);
                String v = readString((buf, size) -> (int) n.modelMetaValStr.invokeExact(handle(), k, buf, size));
                if (v == null) throw new IllegalArgumentException(file + " has no metadata key " + key);
                return v;
            }
        }

        /** All scalar metadata in file order, key -> value as llama.cpp renders it. */
        public Map<String, String> metadata() {
            int count;
            try {
                count = (int) n.modelMetaCount.invokeExact(handle());
            } catch (Throwable t) {
                throw rethrow(t);
            }
            Map<String, String> out = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                int idx = i;
                String k = readString((buf, size) -> (int) n.modelMetaKeyByIndex.invokeExact(handle(), idx, buf, size));
                String v = readString((buf, size) -> (int) n.modelMetaValStrByIndex.invokeExact(handle(), idx, buf, size));
                if (k != null) out.put(k, v);
            }
            return out;
        }

        @FunctionalInterface
        private interface StringCall {
            int call(MemorySegment buf, long size) throws Throwable;
        }

        /** Calls an snprintf-style function, growing the buffer when needed; null when it returns -1. */
        private static String readString(StringCall f) {
            long size = 256;
            try (Arena arena = Arena.ofConfined()) {
                while (true) {
                    MemorySegment buf = arena.allocate(size);
                    int len = f.call(buf, size);
                    if (len < 0) return null;
                    if (len < size) return buf.getString(0, StandardCharsets.UTF_8);
                    size = len + 1L;
                }
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        // ---- vocabulary ----

        public int bos() {
            return vocabInt(n.vocabBos);
        }

        public int eos() {
            return vocabInt(n.vocabEos);
        }

        private int vocabInt(MethodHandle h) {
            handle();
            try {
                return (int) h.invokeExact(vocab);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        private void checkToken(int id) {
            handle();
            if (id < 0 || id >= nVocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + nVocab + ")");
            }
        }

        /** The token's text as stored in the vocabulary (SentencePiece: with U+2581 for spaces). */
        public String tokenText(int id) {
            checkToken(id);
            try {
                MemorySegment p = (MemorySegment) n.vocabGetText.invokeExact(vocab, id);
                return p.reinterpret(Integer.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        public float tokenScore(int id) {
            checkToken(id);
            try {
                return (float) n.vocabGetScore.invokeExact(vocab, id);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** {@code llama_token_attr} bit set ({@link #TOKEN_ATTR_NORMAL}, {@link #TOKEN_ATTR_CONTROL} ...). */
        public int tokenAttr(int id) {
            checkToken(id);
            try {
                return (int) n.vocabGetAttr.invokeExact(vocab, id);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** End of generation (EOS, EOT ...). */
        public boolean isEog(int id) {
            checkToken(id);
            try {
                return (byte) n.vocabIsEog.invokeExact(vocab, id) != 0;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /**
         * {@code llama_tokenize}. {@code addSpecial}: add BOS/EOS as the model's metadata asks;
         * {@code parseSpecial}: match special tokens written in the text (e.g. {@code "<s>"}).
         */
        public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
            handle();
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment textSeg = arena.allocate(Math.max(1, utf8.length));
                MemorySegment.copy(utf8, 0, textSeg, JAVA_BYTE, 0, utf8.length);
                int capacity = utf8.length + 8;
                while (true) {
                    MemorySegment out = arena.allocate(JAVA_INT, capacity);
                    int count = (int) n.tokenize.invokeExact(vocab, textSeg, utf8.length, out, capacity,
                            (byte) (addSpecial ? 1 : 0), (byte) (parseSpecial ? 1 : 0));
                    if (count == Integer.MIN_VALUE) {
                        throw new LlamaException("llama_tokenize overflowed on a text of " + utf8.length + " bytes");
                    }
                    if (count >= 0) return out.asSlice(0, (long) count * 4).toArray(JAVA_INT);
                    capacity = -count;
                }
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** {@code llama_detokenize} keeping special tokens' ids but not rendering them (what a user reads). */
        public String detokenize(int[] tokens) {
            return detokenize(tokens, false, false);
        }

        /**
         * {@code llama_detokenize}. {@code removeSpecial}: drop a leading BOS / trailing EOS the model adds;
         * {@code unparseSpecial}: render special tokens as their text.
         */
        public String detokenize(int[] tokens, boolean removeSpecial, boolean unparseSpecial) {
            handle();
            for (int t : tokens) checkToken(t);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ids = arena.allocateFrom(JAVA_INT, tokens);
                int capacity = tokens.length * 8 + 16;
                while (true) {
                    MemorySegment buf = arena.allocate(capacity);
                    int len = (int) n.detokenize.invokeExact(vocab, ids, tokens.length, buf, capacity,
                            (byte) (removeSpecial ? 1 : 0), (byte) (unparseSpecial ? 1 : 0));
                    if (len >= 0) return new String(buf.asSlice(0, len).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
                    if (len == Integer.MIN_VALUE) throw new LlamaException("llama_detokenize overflowed");
                    capacity = -len;
                }
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** The bytes of one token ({@code llama_token_to_piece}, special tokens rendered, no space stripped). */
        public byte[] tokenPiece(int id) {
            return tokenPiece(id, true);
        }

        /** As {@link #tokenPiece(int)}; with {@code special} false, control tokens render as nothing. */
        public byte[] tokenPiece(int id, boolean special) {
            checkToken(id);
            try (Arena arena = Arena.ofConfined()) {
                int capacity = 64;
                while (true) {
                    MemorySegment buf = arena.allocate(capacity);
                    int len = (int) n.tokenToPiece.invokeExact(vocab, id, buf, capacity, 0, (byte) (special ? 1 : 0));
                    if (len >= 0) return buf.asSlice(0, len).toArray(JAVA_BYTE);
                    capacity = -len;
                }
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        // ---- contexts and adapters ----

        /**
         * A context of {@code nCtx} positions (n_batch = n_ubatch = nCtx, so a whole prompt is one ubatch;
         * 2 threads; flash attention off). {@code f32KvCache}: K and V cached as F32 instead of F16; use it
         * when comparing logits tightly.
         */
        public Context newContext(int nCtx, boolean f32KvCache) {
            if (nCtx < 1) throw new IllegalArgumentException("nCtx must be >= 1, got " + nCtx);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment p = contextDefaultParams(n, arena);
                setInt(p, CONTEXT_PARAMS, "n_ctx", nCtx);
                setInt(p, CONTEXT_PARAMS, "n_batch", nCtx);
                setInt(p, CONTEXT_PARAMS, "n_ubatch", nCtx);
                setInt(p, CONTEXT_PARAMS, "n_seq_max", 1);
                setInt(p, CONTEXT_PARAMS, "n_outputs_max", 0);          // 0 = n_batch: logits for every row
                setInt(p, CONTEXT_PARAMS, "n_outputs_max_per_seq", 0);  // 0 = n_outputs_max
                setInt(p, CONTEXT_PARAMS, "n_threads", CONTEXT_THREADS);
                setInt(p, CONTEXT_PARAMS, "n_threads_batch", CONTEXT_THREADS);
                setInt(p, CONTEXT_PARAMS, "flash_attn_type", LlamaNative.LLAMA_FLASH_ATTN_TYPE_DISABLED);
                int kvType = f32KvCache ? LlamaNative.GGML_TYPE_F32 : LlamaNative.GGML_TYPE_F16;
                setInt(p, CONTEXT_PARAMS, "type_k", kvType);
                setInt(p, CONTEXT_PARAMS, "type_v", kvType);
                setBool(p, CONTEXT_PARAMS, "embeddings", false);
                setBool(p, CONTEXT_PARAMS, "no_perf", true);
                n.clearLog();
                MemorySegment ctx = (MemorySegment) n.initFromModel.invokeExact(handle(), p);
                if (ctx.equals(MemorySegment.NULL)) {
                    throw failure(n, "llama_init_from_model failed for " + file + " (n_ctx " + nCtx + ")");
                }
                int granted = (int) n.nCtx.invokeExact(ctx);
                if (granted < nCtx) {
                    n.free.invokeExact(ctx);
                    throw failure(n, "llama.cpp opened a context of " + granted + " positions, asked for " + nCtx);
                }
                Context c = new Context(this, ctx, nCtx);
                contexts.add(c);
                return c;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** Loads a GGUF LoRA adapter for this model ({@code llama_adapter_lora_init}); apply it per context. */
        public Adapter loadAdapter(Path ggufLora) {
            Path f = requireFile(ggufLora, "GGUF LoRA adapter");
            try (Arena arena = Arena.ofConfined()) {
                n.clearLog();
                MemorySegment a = (MemorySegment) n.adapterLoraInit.invokeExact(handle(), arena.allocateFrom(f.toString()));
                if (a.equals(MemorySegment.NULL)) {
                    throw failure(n, "llama.cpp could not load the LoRA adapter " + f + " for model " + file);
                }
                Adapter ad = new Adapter(this, f, a);
                adapters.add(ad);
                return ad;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        @Override
        public void close() {
            if (model == null) return;
            for (Context c : List.copyOf(contexts)) c.close();
            for (Adapter a : List.copyOf(adapters)) a.close();
            try {
                n.modelFree.invokeExact(model);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                model = null;
            }
        }

        @Override
        public String toString() {
            return "LlamaCpp.Model[" + file + "]";
        }
    }

    /** A LoRA adapter loaded for one model; freed with it at the latest. */
    public static final class Adapter implements AutoCloseable {
        private final Model model;
        private final Path file;
        private MemorySegment adapter; // llama_adapter_lora *, null once closed

        private Adapter(Model model, Path file, MemorySegment adapter) {
            this.model = model;
            this.file = file;
            this.adapter = adapter;
        }

        MemorySegment handle() {
            if (adapter == null) throw new IllegalStateException("LoRA adapter " + file + " is closed");
            return adapter;
        }

        public Path file() {
            return file;
        }

        /** Frees the adapter; contexts that still use it must have had it removed ({@link Context#clearAdapters}). */
        @Override
        public void close() {
            if (adapter == null) return;
            for (Context c : model.contexts) c.forget(this);
            try {
                model.n.adapterLoraFree.invokeExact(adapter);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                adapter = null;
                model.adapters.remove(this);
            }
        }
    }

    /**
     * An inference context: a KV cache of {@code nCtx} positions for one sequence. {@link #logitsAll} and
     * {@link #greedy} each start a fresh sequence at position 0 (they clear the cache first);
     * {@link #logitsContinue} appends to the current one.
     */
    public static final class Context implements AutoCloseable {
        private final Model model;
        private final LlamaNative n;
        private final int nCtx;
        private MemorySegment ctx; // llama_context *, null once closed
        private int nPast;         // positions filled in the KV cache
        private final Map<Adapter, Float> loras = new LinkedHashMap<>();

        private Context(Model model, MemorySegment ctx, int nCtx) {
            this.model = model;
            this.n = model.n;
            this.ctx = ctx;
            this.nCtx = nCtx;
        }

        private MemorySegment handle() {
            if (ctx == null) throw new IllegalStateException("context is closed");
            model.handle();
            return ctx;
        }

        public int nCtx() {
            return nCtx;
        }

        /** Positions currently in the KV cache. */
        public int nPast() {
            return nPast;
        }

        /** Empties the KV cache ({@code llama_memory_clear(mem, data=true)}); the next decode starts at 0. */
        public void clear() {
            try {
                MemorySegment mem = (MemorySegment) n.getMemory.invokeExact(handle());
                n.memoryClear.invokeExact(mem, (byte) 1);
                nPast = 0;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /**
         * Logits of every position of a fresh sequence: one {@code llama_decode} with output for all rows.
         *
         * @return [tokens.length][nVocab] raw logits; row i predicts the token after tokens[i]
         */
        public float[][] logitsAll(int[] tokens) {
            clear();
            return logitsContinue(tokens);
        }

        /** As {@link #logitsAll}, but appends {@code tokens} after the ones already in the cache. */
        public float[][] logitsContinue(int[] tokens) {
            decode(tokens, true);
            return rows(n.getLogitsIth, tokens.length, model.nVocab(), "logits");
        }

        /**
         * The final hidden state (after the output norm, before the LM head) of every position of a fresh
         * sequence, from {@code llama_get_embeddings_ith}.
         *
         * @return [tokens.length][nEmbd]
         */
        public float[][] hiddenAll(int[] tokens) {
            try {
                n.setEmbeddings.invokeExact(handle(), (byte) 1);
                clear();
                decode(tokens, true);
                return rows(n.getEmbeddingsIth, tokens.length, model.nEmbd(), "embeddings");
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                try {
                    n.setEmbeddings.invokeExact(handle(), (byte) 0);
                } catch (Throwable ignored) {
                    // the context is broken already; the first error is the one to report
                }
            }
        }

        /**
         * Greedy decoding of a fresh sequence: the prompt, then {@code count} tokens, each the argmax (lowest id
         * on ties) of the previous step's logits. No sampler, no penalties, does not stop at EOS.
         *
         * @return the {@code count} generated ids
         */
        public int[] greedy(int[] prompt, int count) {
            if (prompt.length == 0) throw new IllegalArgumentException("greedy needs a non-empty prompt");
            clear();
            int[] out = new int[count];
            int[] next = prompt;
            for (int i = 0; i < count; i++) {
                decode(next, false);
                float[] logits = row(n.getLogitsIth, -1, model.nVocab(), "logits");
                out[i] = argmax(logits);
                next = new int[] {out[i]};
            }
            return out;
        }

        static int argmax(float[] v) {
            int best = 0;
            for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
            return best;
        }

        /**
         * Sets the LoRA adapters of this context: {@code scale} multiplies the adapter's {@code alpha / rank}
         * ({@code llama_set_adapters_lora}). Scale 0 removes it. Other adapters set before stay.
         */
        public void setAdapter(Adapter adapter, float scale) {
            if (adapter.model != model) throw new IllegalArgumentException("adapter " + adapter.file()
                    + " was loaded for " + adapter.model.file() + ", not for " + model.file());
            adapter.handle();
            if (scale == 0f) loras.remove(adapter);
            else loras.put(adapter, scale);
            applyAdapters();
        }

        /** Removes every LoRA adapter from this context. */
        public void clearAdapters() {
            loras.clear();
            applyAdapters();
        }

        private void forget(Adapter a) {
            if (ctx != null && loras.remove(a) != null) applyAdapters();
        }

        private void applyAdapters() {
            try (Arena arena = Arena.ofConfined()) {
                int count = loras.size();
                MemorySegment ptrs = count == 0 ? MemorySegment.NULL : arena.allocate(ADDRESS, count);
                MemorySegment scales = count == 0 ? MemorySegment.NULL : arena.allocate(JAVA_FLOAT, count);
                int i = 0;
                for (Map.Entry<Adapter, Float> e : loras.entrySet()) {
                    ptrs.setAtIndex(ADDRESS, i, e.getKey().handle());
                    scales.setAtIndex(JAVA_FLOAT, i, e.getValue());
                    i++;
                }
                int rc = (int) n.setAdaptersLora.invokeExact(handle(), ptrs, (long) count, scales);
                if (rc != 0) throw failure(n, "llama_set_adapters_lora returned " + rc);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** One llama_decode of {@code tokens} at positions nPast.., output for every row or the last only. */
        private void decode(int[] tokens, boolean outputAll) {
            if (tokens.length == 0) throw new IllegalArgumentException("nothing to decode: no tokens");
            if (nPast + tokens.length > nCtx) {
                throw new IllegalArgumentException("context of " + nCtx + " positions cannot take " + tokens.length
                        + " more tokens after " + nPast + "; open a larger context");
            }
            for (int t : tokens) model.checkToken(t);
            int count = tokens.length;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment tok = arena.allocateFrom(JAVA_INT, tokens);
                MemorySegment pos = arena.allocate(JAVA_INT, count);
                MemorySegment nSeqId = arena.allocate(JAVA_INT, count);
                MemorySegment seqId0 = arena.allocateFrom(JAVA_INT, 0);
                MemorySegment seqIds = arena.allocate(ADDRESS, count);
                MemorySegment logits = arena.allocate(JAVA_BYTE, count);
                for (int i = 0; i < count; i++) {
                    pos.setAtIndex(JAVA_INT, i, nPast + i);
                    nSeqId.setAtIndex(JAVA_INT, i, 1);
                    seqIds.setAtIndex(ADDRESS, i, seqId0);
                    logits.set(JAVA_BYTE, i, (byte) (outputAll || i == count - 1 ? 1 : 0));
                }
                MemorySegment batch = arena.allocate(BATCH);
                setInt(batch, BATCH, "n_tokens", count);
                setAddress(batch, BATCH, "token", tok);
                setAddress(batch, BATCH, "embd", MemorySegment.NULL);
                setAddress(batch, BATCH, "pos", pos);
                setAddress(batch, BATCH, "n_seq_id", nSeqId);
                setAddress(batch, BATCH, "seq_id", seqIds);
                setAddress(batch, BATCH, "logits", logits);
                n.clearLog();
                int rc = (int) n.decode.invokeExact(handle(), batch);
                if (rc != 0) {
                    throw failure(n, "llama_decode of " + count + " tokens at position " + nPast + " returned " + rc
                            + (rc == 1 ? " (no KV cache slot)" : rc == 2 ? " (aborted)" : ""));
                }
                nPast += count;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        private float[][] rows(MethodHandle getter, int count, int width, String what) {
            float[][] out = new float[count][];
            for (int i = 0; i < count; i++) out[i] = row(getter, i, width, what);
            return out;
        }

        /** Row {@code i} of the last decode's outputs ({@code -1}: the last output row). */
        private float[] row(MethodHandle getter, int i, int width, String what) {
            try {
                MemorySegment p = (MemorySegment) getter.invokeExact(handle(), i);
                if (p.equals(MemorySegment.NULL)) throw failure(n, "llama.cpp has no " + what + " for output row " + i);
                return p.reinterpret((long) width * Float.BYTES).toArray(JAVA_FLOAT);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        @Override
        public void close() {
            if (ctx == null) return;
            try {
                n.free.invokeExact(ctx);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                ctx = null;
                model.contexts.remove(this);
            }
        }
    }
}
