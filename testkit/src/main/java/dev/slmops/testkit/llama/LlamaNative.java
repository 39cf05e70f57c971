package dev.slmops.testkit.llama;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The raw FFM binding to llama.cpp's C API: the shared libraries, the method handles and the struct layouts.
 * Everything here is a transcription of {@code include/llama.h} of the exact release the npm package
 * {@code @node-llama-cpp/linux-x64@3.21.1} ships: llama.cpp release tag {@code v0.4.0} of node-llama-cpp's
 * build (bins/linux-x64/_nlcBuildMetadata.json; the source is {@code node-llama-cpp/llama/gitRelease.bundle}).
 * The structs are passed and returned by value, so a layout that drifts from the header corrupts the call:
 * {@code LlamaNativeTest} checks the defaults that {@code llama_*_default_params()} return through these
 * layouts against the values in that release's source.
 *
 * <p>Layouts are for x86-64 / AArch64 LP64 (8-byte pointers and size_t, 1-byte bool, 4-byte enums), with the
 * padding the C compiler inserts written out explicitly. C {@code bool} is mapped as {@code JAVA_BYTE}.
 *
 * <p>Only {@link LlamaCpp} uses this class; tests call {@link LlamaCpp}.
 */
@SuppressWarnings("restricted") // FFM: loading llama.cpp and calling it is the point of this class
final class LlamaNative {
    /** The release whose llama.h these layouts transcribe. */
    static final String RELEASE = "llama.cpp v0.4.0 as built by node-llama-cpp 3.21.1";
    static final String LIB_LLAMA = "libllama.v0.4.0.so";
    static final String LIB_GGML = "libggml.v0.4.0.so";

    // ---- enums and constants of llama.h / ggml.h used here ----
    static final int GGML_TYPE_F32 = 0;
    static final int GGML_TYPE_F16 = 1;
    static final int LLAMA_SPLIT_MODE_NONE = 0;
    static final int LLAMA_LOAD_MODE_MMAP = 1;
    static final int LLAMA_FLASH_ATTN_TYPE_AUTO = -1;
    static final int LLAMA_FLASH_ATTN_TYPE_DISABLED = 0;
    static final int LLAMA_FLASH_ATTN_TYPE_ENABLED = 1;
    static final int GGML_BACKEND_DEVICE_TYPE_CPU = 0;
    static final int GGML_MAX_N_THREADS = 512;
    static final int GGML_LOG_LEVEL_WARN = 3;
    static final int GGML_LOG_LEVEL_ERROR = 4;
    static final int GGML_LOG_LEVEL_CONT = 5;

    // ---- struct llama_model_params (80 bytes) ----
    static final StructLayout MODEL_PARAMS = MemoryLayout.structLayout(
            ADDRESS.withName("devices"),                    // ggml_backend_dev_t *
            ADDRESS.withName("tensor_buft_overrides"),      // const struct llama_model_tensor_buft_override *
            JAVA_INT.withName("n_gpu_layers"),
            JAVA_INT.withName("split_mode"),                // enum llama_split_mode
            JAVA_INT.withName("load_mode"),                 // enum llama_load_mode
            JAVA_INT.withName("lazy_mode"),                 // enum llama_lazy_mode
            JAVA_INT.withName("main_gpu"),
            paddingLayout(4),
            ADDRESS.withName("tensor_split"),               // const float *
            ADDRESS.withName("progress_callback"),          // llama_progress_callback
            ADDRESS.withName("progress_callback_user_data"),
            ADDRESS.withName("kv_overrides"),               // const struct llama_model_kv_override *
            JAVA_BYTE.withName("vocab_only"),               // bool
            JAVA_BYTE.withName("check_tensors"),
            JAVA_BYTE.withName("use_extra_bufts"),
            JAVA_BYTE.withName("no_host"),
            JAVA_BYTE.withName("no_alloc"),
            JAVA_BYTE.withName("load_mtp"),
            paddingLayout(2)
    ).withName("llama_model_params");

    // ---- struct llama_context_params (160 bytes) ----
    static final StructLayout CONTEXT_PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("n_ctx"),                     // uint32_t
            JAVA_INT.withName("n_batch"),
            JAVA_INT.withName("n_ubatch"),
            JAVA_INT.withName("n_seq_max"),
            JAVA_INT.withName("n_rs_seq"),
            JAVA_INT.withName("n_outputs_max"),
            JAVA_INT.withName("n_outputs_max_per_seq"),
            JAVA_INT.withName("n_threads"),                 // int32_t
            JAVA_INT.withName("n_threads_batch"),
            JAVA_INT.withName("ctx_type"),                  // enum llama_context_type
            JAVA_INT.withName("rope_scaling_type"),
            JAVA_INT.withName("pooling_type"),
            JAVA_INT.withName("attention_type"),
            JAVA_INT.withName("flash_attn_type"),
            JAVA_FLOAT.withName("rope_freq_base"),
            JAVA_FLOAT.withName("rope_freq_scale"),
            JAVA_FLOAT.withName("yarn_ext_factor"),
            JAVA_FLOAT.withName("yarn_attn_factor"),
            JAVA_FLOAT.withName("yarn_beta_fast"),
            JAVA_FLOAT.withName("yarn_beta_slow"),
            JAVA_INT.withName("yarn_orig_ctx"),             // uint32_t
            JAVA_FLOAT.withName("defrag_thold"),
            ADDRESS.withName("cb_eval"),                    // ggml_backend_sched_eval_callback
            ADDRESS.withName("cb_eval_user_data"),
            JAVA_INT.withName("type_k"),                    // enum ggml_type
            JAVA_INT.withName("type_v"),
            ADDRESS.withName("abort_callback"),             // ggml_abort_callback
            ADDRESS.withName("abort_callback_data"),
            JAVA_BYTE.withName("embeddings"),               // bool
            JAVA_BYTE.withName("offload_kqv"),
            JAVA_BYTE.withName("no_perf"),
            JAVA_BYTE.withName("op_offload"),
            JAVA_BYTE.withName("swa_full"),
            JAVA_BYTE.withName("kv_unified"),
            paddingLayout(2),
            ADDRESS.withName("samplers"),                   // struct llama_sampler_seq_config *
            JAVA_LONG.withName("n_samplers"),               // size_t
            ADDRESS.withName("ctx_other")                   // struct llama_context *
    ).withName("llama_context_params");

    // ---- struct llama_batch (56 bytes) ----
    static final StructLayout BATCH = MemoryLayout.structLayout(
            JAVA_INT.withName("n_tokens"),
            paddingLayout(4),
            ADDRESS.withName("token"),                      // llama_token *   [n_tokens]
            ADDRESS.withName("embd"),                       // float *         [n_tokens * n_embd], NULL here
            ADDRESS.withName("pos"),                        // llama_pos *     [n_tokens]
            ADDRESS.withName("n_seq_id"),                   // int32_t *       [n_tokens]
            ADDRESS.withName("seq_id"),                     // llama_seq_id ** [n_tokens][n_seq_id[i]]
            ADDRESS.withName("logits")                      // int8_t *        [n_tokens], 1 = output this row
    ).withName("llama_batch");

    // ---- struct llama_model_quantize_params (64 bytes) ----
    static final StructLayout QUANTIZE_PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("nthread"),
            JAVA_INT.withName("ftype"),                     // enum llama_ftype
            JAVA_INT.withName("output_tensor_type"),        // enum ggml_type
            JAVA_INT.withName("token_embedding_type"),      // enum ggml_type
            JAVA_BYTE.withName("allow_requantize"),         // bool
            JAVA_BYTE.withName("quantize_output_tensor"),
            JAVA_BYTE.withName("only_copy"),
            JAVA_BYTE.withName("pure"),
            JAVA_BYTE.withName("keep_split"),
            JAVA_BYTE.withName("dry_run"),
            paddingLayout(2),
            ADDRESS.withName("imatrix"),                    // const struct llama_model_imatrix_data *
            ADDRESS.withName("kv_overrides"),               // const struct llama_model_kv_override *
            ADDRESS.withName("tt_overrides"),               // const struct llama_model_tensor_override *
            ADDRESS.withName("prune_layers"),               // const int32_t *
            JAVA_LONG.withName("max_buf_size")              // size_t
    ).withName("llama_model_quantize_params");

    // ---- struct ggml_threadpool_params (528 bytes; ggml.h) ----
    static final StructLayout THREADPOOL_PARAMS = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(GGML_MAX_N_THREADS, JAVA_BYTE).withName("cpumask"), // bool[512]
            JAVA_INT.withName("n_threads"),
            JAVA_INT.withName("prio"),                      // enum ggml_sched_priority
            JAVA_INT.withName("poll"),                      // uint32_t, 0 (no polling) .. 100
            JAVA_BYTE.withName("strict_cpu"),               // bool
            JAVA_BYTE.withName("paused"),                   // bool
            paddingLayout(2)
    ).withName("ggml_threadpool_params");

    static {
        check(MODEL_PARAMS, 80);
        check(THREADPOOL_PARAMS, 528);
        check(CONTEXT_PARAMS, 160);
        check(BATCH, 56);
        check(QUANTIZE_PARAMS, 64);
    }

    private static void check(StructLayout layout, long expectedBytes) {
        if (layout.byteSize() != expectedBytes) {
            throw new AssertionError(layout.name().orElseThrow() + " is " + layout.byteSize()
                    + " bytes, llama.h of " + RELEASE + " says " + expectedBytes);
        }
    }

    // ---- field access by name, so call sites read like the C they replace ----
    static long offset(StructLayout layout, String field) {
        return layout.byteOffset(groupElement(field));
    }

    static int getInt(MemorySegment s, StructLayout l, String field) {
        return s.get(JAVA_INT, offset(l, field));
    }

    static void setInt(MemorySegment s, StructLayout l, String field, int v) {
        s.set(JAVA_INT, offset(l, field), v);
    }

    static float getFloat(MemorySegment s, StructLayout l, String field) {
        return s.get(JAVA_FLOAT, offset(l, field));
    }

    static long getLong(MemorySegment s, StructLayout l, String field) {
        return s.get(JAVA_LONG, offset(l, field));
    }

    static boolean getBool(MemorySegment s, StructLayout l, String field) {
        return s.get(JAVA_BYTE, offset(l, field)) != 0;
    }

    static void setBool(MemorySegment s, StructLayout l, String field, boolean v) {
        s.set(JAVA_BYTE, offset(l, field), (byte) (v ? 1 : 0));
    }

    static MemorySegment getAddress(MemorySegment s, StructLayout l, String field) {
        return s.get(ADDRESS, offset(l, field));
    }

    static void setAddress(MemorySegment s, StructLayout l, String field, MemorySegment v) {
        s.set(ADDRESS, offset(l, field), v);
    }

    // ---- the libraries and the functions ----
    final Path libDir;
    private final SymbolLookup lookup;
    private final Linker linker = Linker.nativeLinker();
    private final LogCapture log = new LogCapture();

    // backend
    final MethodHandle backendLoadAllFromPath; // void ggml_backend_load_all_from_path(const char * dir)
    final MethodHandle backendInit;            // void llama_backend_init(void)
    final MethodHandle logSet;                 // void llama_log_set(ggml_log_callback, void *)
    final MethodHandle version;                // const char * llama_version(void)
    final MethodHandle printSystemInfo;        // const char * llama_print_system_info(void)
    final MethodHandle backendDevByType;       // ggml_backend_dev_t ggml_backend_dev_by_type(enum type)
    final MethodHandle backendDevBackendReg;   // ggml_backend_reg_t ggml_backend_dev_backend_reg(dev)
    final MethodHandle backendRegGetProcAddress; // void * ggml_backend_reg_get_proc_address(reg, const char *)
    final MethodHandle threadpoolParamsInit;   // void ggml_threadpool_params_init(params *, int n_threads)
    // params (returned by value: the handle takes a SegmentAllocator first)
    final MethodHandle modelDefaultParams;
    final MethodHandle contextDefaultParams;
    final MethodHandle quantizeDefaultParams;
    // model
    final MethodHandle modelLoadFromFile;      // llama_model * (const char * path, llama_model_params)
    final MethodHandle modelFree;
    final MethodHandle modelGetVocab;
    final MethodHandle modelNParams;           // uint64_t
    final MethodHandle modelSize;              // uint64_t, bytes of weights
    final MethodHandle modelNEmbd;
    final MethodHandle modelNLayer;
    final MethodHandle modelNHead;
    final MethodHandle modelNHeadKv;
    final MethodHandle modelNCtxTrain;
    final MethodHandle modelMetaValStr;        // int32 (model, key, buf, size)
    final MethodHandle modelMetaCount;
    final MethodHandle modelMetaKeyByIndex;    // int32 (model, i, buf, size)
    final MethodHandle modelMetaValStrByIndex;
    final MethodHandle modelDesc;              // int32 (model, buf, size)
    final MethodHandle modelFtype;             // enum llama_ftype (model)
    final MethodHandle ftypeName;              // const char * (enum llama_ftype)
    final MethodHandle modelQuantize;          // uint32 (in, out, const params *)
    // vocab
    final MethodHandle vocabNTokens;
    final MethodHandle vocabBos;
    final MethodHandle vocabEos;
    final MethodHandle vocabGetText;           // const char * (vocab, token)
    final MethodHandle vocabGetScore;          // float
    final MethodHandle vocabGetAttr;           // enum llama_token_attr
    final MethodHandle vocabIsEog;             // bool
    final MethodHandle vocabGetAddBos;         // bool (vocab)
    final MethodHandle tokenize;               // int32 (vocab, text, len, tokens, max, add_special, parse_special)
    final MethodHandle tokenToPiece;           // int32 (vocab, token, buf, len, lstrip, special)
    final MethodHandle detokenize;             // int32 (vocab, tokens, n, text, max, remove_special, unparse_special)
    // context
    final MethodHandle initFromModel;          // llama_context * (model, llama_context_params)
    final MethodHandle free;
    final MethodHandle nCtx;
    final MethodHandle getMemory;              // llama_memory_t (ctx)
    final MethodHandle memoryClear;            // void (mem, bool data)
    final MethodHandle decode;                 // int32 (ctx, llama_batch)
    final MethodHandle getLogitsIth;           // float * (ctx, i)
    final MethodHandle getEmbeddingsIth;       // float * (ctx, i)
    final MethodHandle setEmbeddings;          // void (ctx, bool)
    final MethodHandle setNThreads;            // void (ctx, int32 n_threads, int32 n_threads_batch)
    final MethodHandle synchronize;            // void (ctx)
    final MethodHandle attachThreadpool;       // void (ctx, ggml_threadpool_t, ggml_threadpool_t batch)
    final MethodHandle detachThreadpool;       // void (ctx)
    // LoRA
    final MethodHandle adapterLoraInit;        // llama_adapter_lora * (model, path)
    final MethodHandle adapterLoraFree;
    final MethodHandle setAdaptersLora;        // int32 (ctx, llama_adapter_lora **, size_t n, float * scales)

    private static LlamaNative instance;

    /**
     * Loads the libraries once per JVM: installs the log capture, loads the CPU backend from {@code libDir}
     * ({@code ggml_backend_load_all_from_path}) and calls {@code llama_backend_init}.
     */
    static synchronized LlamaNative get(Path libDir) {
        if (instance == null) instance = new LlamaNative(libDir);
        else if (!instance.libDir.equals(libDir.toAbsolutePath())) {
            throw new IllegalStateException("llama.cpp is already loaded from " + instance.libDir
                    + "; one JVM can load it from one folder only (asked for " + libDir + ")");
        }
        return instance;
    }

    private LlamaNative(Path libDir) {
        this.libDir = libDir.toAbsolutePath();
        Path lib = this.libDir.resolve(LIB_LLAMA);
        if (!Files.isRegularFile(lib)) {
            throw new IllegalStateException("llama.cpp library not found: " + lib + " (expected the prebuilt "
                    + "binaries of @node-llama-cpp/linux-x64@3.21.1; run scripts/install-references.sh)");
        }
        // libllama's RUNPATH is $ORIGIN, so dlopen finds libggml.v0.4.0.so and libggml-base.so beside it;
        // the global arena keeps the libraries loaded for the life of the JVM (they cannot be unloaded safely).
        SymbolLookup llama = SymbolLookup.libraryLookup(lib, Arena.global());
        SymbolLookup ggml = SymbolLookup.libraryLookup(this.libDir.resolve(LIB_GGML), Arena.global());
        this.lookup = llama.or(ggml);

        backendLoadAllFromPath = fn("ggml_backend_load_all_from_path", FunctionDescriptor.ofVoid(ADDRESS));
        backendInit = fn("llama_backend_init", FunctionDescriptor.ofVoid());
        logSet = fn("llama_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        version = fn("llama_version", FunctionDescriptor.of(ADDRESS));
        printSystemInfo = fn("llama_print_system_info", FunctionDescriptor.of(ADDRESS));
        backendDevByType = fn("ggml_backend_dev_by_type", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        backendDevBackendReg = fn("ggml_backend_dev_backend_reg", FunctionDescriptor.of(ADDRESS, ADDRESS));
        backendRegGetProcAddress = fn("ggml_backend_reg_get_proc_address",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        threadpoolParamsInit = fn("ggml_threadpool_params_init", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));

        modelDefaultParams = fn("llama_model_default_params", FunctionDescriptor.of(MODEL_PARAMS));
        contextDefaultParams = fn("llama_context_default_params", FunctionDescriptor.of(CONTEXT_PARAMS));
        quantizeDefaultParams = fn("llama_model_quantize_default_params", FunctionDescriptor.of(QUANTIZE_PARAMS));

        modelLoadFromFile = fn("llama_model_load_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, MODEL_PARAMS));
        modelFree = fn("llama_model_free", FunctionDescriptor.ofVoid(ADDRESS));
        modelGetVocab = fn("llama_model_get_vocab", FunctionDescriptor.of(ADDRESS, ADDRESS));
        modelNParams = fn("llama_model_n_params", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        modelSize = fn("llama_model_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        modelNEmbd = fn("llama_model_n_embd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelNLayer = fn("llama_model_n_layer", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelNHead = fn("llama_model_n_head", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelNHeadKv = fn("llama_model_n_head_kv", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelNCtxTrain = fn("llama_model_n_ctx_train", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelMetaValStr = fn("llama_model_meta_val_str",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
        modelMetaCount = fn("llama_model_meta_count", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelMetaKeyByIndex = fn("llama_model_meta_key_by_index",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        modelMetaValStrByIndex = fn("llama_model_meta_val_str_by_index",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        modelDesc = fn("llama_model_desc", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        modelFtype = fn("llama_model_ftype", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        ftypeName = fn("llama_ftype_name", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        modelQuantize = fn("llama_model_quantize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));

        vocabNTokens = fn("llama_vocab_n_tokens", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabBos = fn("llama_vocab_bos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabEos = fn("llama_vocab_eos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabGetText = fn("llama_vocab_get_text", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        vocabGetScore = fn("llama_vocab_get_score", FunctionDescriptor.of(JAVA_FLOAT, ADDRESS, JAVA_INT));
        vocabGetAttr = fn("llama_vocab_get_attr", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        vocabIsEog = fn("llama_vocab_is_eog", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, JAVA_INT));
        vocabGetAddBos = fn("llama_vocab_get_add_bos", FunctionDescriptor.of(JAVA_BYTE, ADDRESS));
        tokenize = fn("llama_tokenize", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BYTE, JAVA_BYTE));
        tokenToPiece = fn("llama_token_to_piece", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_BYTE));
        detokenize = fn("llama_detokenize", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BYTE, JAVA_BYTE));

        initFromModel = fn("llama_init_from_model", FunctionDescriptor.of(ADDRESS, ADDRESS, CONTEXT_PARAMS));
        free = fn("llama_free", FunctionDescriptor.ofVoid(ADDRESS));
        nCtx = fn("llama_n_ctx", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        getMemory = fn("llama_get_memory", FunctionDescriptor.of(ADDRESS, ADDRESS));
        memoryClear = fn("llama_memory_clear", FunctionDescriptor.ofVoid(ADDRESS, JAVA_BYTE));
        decode = fn("llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, BATCH));
        getLogitsIth = fn("llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        getEmbeddingsIth = fn("llama_get_embeddings_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        setEmbeddings = fn("llama_set_embeddings", FunctionDescriptor.ofVoid(ADDRESS, JAVA_BYTE));
        setNThreads = fn("llama_set_n_threads", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT));
        synchronize = fn("llama_synchronize", FunctionDescriptor.ofVoid(ADDRESS));
        attachThreadpool = fn("llama_attach_threadpool", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
        detachThreadpool = fn("llama_detach_threadpool", FunctionDescriptor.ofVoid(ADDRESS));

        adapterLoraInit = fn("llama_adapter_lora_init", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        adapterLoraFree = fn("llama_adapter_lora_free", FunctionDescriptor.ofVoid(ADDRESS));
        setAdaptersLora = fn("llama_set_adapters_lora",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));

        try {
            // Route llama.cpp's and ggml's log lines through Java before anything logs.
            logSet.invokeExact(log.stub(linker), MemorySegment.NULL);
            // Hand the default stderr logger back before the JVM goes: C++ static destructors run after the
            // JVM has stopped and must not call into it.
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
                try {
                    logSet.invokeExact(MemorySegment.NULL, MemorySegment.NULL);
                } catch (Throwable ignored) {
                    // the JVM is going down; nothing useful to do
                }
            }));
            try (Arena arena = Arena.ofConfined()) {
                backendLoadAllFromPath.invokeExact(arena.allocateFrom(this.libDir.toString()));
            }
            backendInit.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("initialising llama.cpp from " + this.libDir + " failed: " + t, t);
        }
    }

    private MethodHandle fn(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lookup.find(name).orElseThrow(() -> new IllegalStateException(
                "symbol " + name + " not found in " + libDir.resolve(LIB_LLAMA) + ": is it " + RELEASE + "?"));
        return linker.downcallHandle(symbol, descriptor);
    }

    /**
     * A function of the CPU backend library that ggml loaded at start-up (one of the libggml-cpu-*.so variants,
     * picked for this CPU), found as llama-bench finds {@code ggml_threadpool_new}: through the CPU backend's
     * registry entry ({@code ggml_backend_reg_get_proc_address}), since it is not exported by libggml itself.
     */
    MethodHandle cpuBackendFunction(String name, FunctionDescriptor descriptor) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dev = (MemorySegment) backendDevByType.invokeExact(GGML_BACKEND_DEVICE_TYPE_CPU);
            if (dev.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("ggml has no CPU backend loaded from " + libDir
                        + " (expected a libggml-cpu-*.so there)");
            }
            MemorySegment reg = (MemorySegment) backendDevBackendReg.invokeExact(dev);
            MemorySegment fn = (MemorySegment) backendRegGetProcAddress.invokeExact(reg, arena.allocateFrom(name));
            if (fn.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("the CPU backend in " + libDir + " does not provide " + name
                        + ": is it " + RELEASE + "?");
            }
            return linker.downcallHandle(fn, descriptor);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("looking up " + name + " in the CPU backend failed: " + t, t);
        }
    }

    /** The last log lines llama.cpp wrote (all levels), for error messages; empty when it logged nothing. */
    String recentLog() {
        return log.recent();
    }

    /** Forgets the captured lines, so that the next error message shows only what the failing call logged. */
    void clearLog() {
        log.clear();
    }

    /**
     * Receives llama.cpp's and ggml's log lines (an upcall from C). Keeps the last lines of every level for
     * error messages; echoes warnings and errors to stderr, and everything when {@code -Dslmops.llama.log=true}.
     */
    static final class LogCapture {
        private static final int KEEP = 40;
        private final ArrayDeque<String> lines = new ArrayDeque<>();
        private final boolean echoAll = Boolean.getBoolean("slmops.llama.log");
        private int lastLevel = 0;

        MemorySegment stub(Linker linker) {
            try {
                MethodHandle target = MethodHandles.lookup().findVirtual(LogCapture.class, "onLog",
                        MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class));
                return linker.upcallStub(target.bindTo(this),
                        FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS), Arena.global());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        /** {@code void (*ggml_log_callback)(enum ggml_log_level level, const char * text, void * user_data)}. */
        @SuppressWarnings("unused") // called from C
        private void onLog(int level, MemorySegment text, MemorySegment userData) {
            String s;
            try {
                s = text.reinterpret(1 << 16).getString(0, StandardCharsets.UTF_8);
            } catch (RuntimeException e) {
                s = "<unreadable log line>";
            }
            int effective;
            synchronized (this) {
                effective = level == GGML_LOG_LEVEL_CONT ? lastLevel : level;
                lastLevel = effective;
                if (lines.size() == KEEP) lines.removeFirst();
                lines.addLast(s.stripTrailing());
            }
            if (echoAll || effective >= GGML_LOG_LEVEL_WARN) echo(s);
        }

        private boolean atLineStart = true;

        /** Writes to stderr, prefixing each new line (llama.cpp writes one line in several calls). */
        private synchronized void echo(String s) {
            System.err.print(atLineStart ? "[llama.cpp] " + s : s);
            atLineStart = s.endsWith("\n");
        }

        synchronized String recent() {
            return String.join("\n", List.copyOf(lines));
        }

        synchronized void clear() {
            lines.clear();
        }
    }
}
