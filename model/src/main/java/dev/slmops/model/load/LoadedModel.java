package dev.slmops.model.load;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.chat.ChatTemplate;
import dev.slmops.model.engine.KvCache;
import dev.slmops.model.engine.ModelWeights;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.generate.Generator;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraFiles;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.tensor.parallel.WorkerPool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model ready to run in-process: its files, weights bound to the fast kernels, tokenizer and a worker pool.
 * The one object a library user needs to generate text.
 */
public final class LoadedModel implements AutoCloseable {
    private final ModelFiles files;
    private final Transformer transformer;
    private final WorkerPool pool;
    private final int contextLength;
    private final KvCache.Type kvType;
    private final LoraAdapter adapter; // null: the base model alone

    /**
     * @param contextLength tokens of context to plan for (0: the model's own, capped at 4096 to bound KV memory)
     * @param threads       compute threads (0: all available processors)
     * @param kvType        element type of the caches {@link #newCache} makes (F32 default; F16 halves their memory)
     */
    public record Options(int contextLength, int threads, KvCache.Type kvType) {
        public Options {
            if (kvType == null) throw new IllegalArgumentException("kvType must be F32 or F16, not null");
        }

        /** An F32 KV cache. */
        public Options(int contextLength, int threads) {
            this(contextLength, threads, KvCache.Type.F32);
        }

        public static Options defaults() {
            return new Options(0, 0);
        }
    }

    private LoadedModel(ModelFiles files, Transformer transformer, WorkerPool pool, int contextLength,
                        KvCache.Type kvType, LoraAdapter adapter) {
        this.files = files;
        this.transformer = transformer;
        this.pool = pool;
        this.contextLength = contextLength;
        this.kvType = kvType;
        this.adapter = adapter;
    }

    public static LoadedModel load(Path path, Options options) throws IOException {
        return load(path, options, null);
    }

    /**
     * Loads the model under a LoRA adapter (PEFT directory or GGUF LoRA file; null: none), as PEFT's
     * {@code PeftModel.from_pretrained} does: the low-rank pairs stay unmerged ({@link #adapter()}, which
     * {@link #generator()} applies), and the adapter's whole tensors ({@code modules_to_save}: a trained head, norms,
     * an embedding) are bound in place of the base's ({@link AdapterOverlay}: a saved head or embedding of a tied
     * model unties it). A server mixing adapters per request cannot swap whole tensors: it loads adapters with
     * {@link LoraFiles} and refuses those that save modules.
     */
    public static LoadedModel load(Path path, Options options, Path adapterPath) throws IOException {
        ModelFiles files = ModelFiles.open(path);
        WorkerPool pool = null;
        try {
            ModelConfig c = files.config();
            LoraAdapter adapter = null;
            WeightSource source = files.weights();
            if (adapterPath != null) {
                AdapterOverlay under = AdapterOverlay.of(c, source, LoraFiles.load(adapterPath, c));
                c = under.config();
                source = under.weights();
                adapter = under.pairs();
            }
            int ctx = options.contextLength() > 0 ? options.contextLength() : Math.min(c.contextLength(), 4096);
            if (ctx > c.contextLength()) throw new ContextTooLongException(ctx, c.contextLength());
            if (options.threads() < 0) throw new IllegalArgumentException("threads must be >= 0, got " + options.threads());
            files.tokenizer(); // fail early on a missing or unreadable tokenizer
            pool = options.threads() > 0 ? new WorkerPool(options.threads()) : WorkerPool.ofAvailableProcessors();
            ModelWeights weights = ModelWeights.bind(c, source, pool);
            // The matrices now live repacked on the heap; only embedding rows are read from the file from here on.
            files.releaseResidentPages();
            return new LoadedModel(files, new Transformer(weights, ctx, pool), pool, ctx, options.kvType(), adapter);
        } catch (IOException | RuntimeException e) {
            if (pool != null) pool.close(); // its threads would outlive a failed load
            files.close();
            throw e;
        }
    }

    public ModelFiles files() {
        return files;
    }

    /** The configuration the weights were bound with (untied where an adapter saved a tied head or embedding). */
    public ModelConfig config() {
        return transformer.config();
    }

    /** The LoRA adapter the model was loaded under, its pairs unmerged (whole tensors already bound); or null. */
    public LoraAdapter adapter() {
        return adapter;
    }

    public Tokenizer tokenizer() {
        try {
            return files.tokenizer();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e); // checked in load(): cannot happen
        }
    }

    /** The model's chat template, or the ChatML fallback. */
    public ChatTemplate chatTemplate() {
        return files.chatTemplate();
    }

    public Transformer transformer() {
        return transformer;
    }

    public int contextLength() {
        return contextLength;
    }

    public WorkerPool pool() {
        return pool;
    }

    /** A fresh KV cache holding the whole planned context, of the options' KV type. */
    public KvCache newCache() {
        return new KvCache(transformer.config(), contextLength, kvType);
    }

    /** The element type of the caches {@link #newCache} makes. */
    public KvCache.Type kvType() {
        return kvType;
    }

    /** Prompt tokens per sequence, and decode passes, of {@link #warmUp}. */
    private static final int WARM_UP_PROMPT = 20, WARM_UP_PASSES = 8;

    /**
     * Runs the engine on throwaway sequences so that the JIT has compiled its kernels before the first real request
     * (a server's warm-up run, as llama-server does one at start): one pass over {@code sequences} prompts of 20
     * tokens together (the GEMM path from 64 rows), 8 decode passes of all of them (the batched kernels), then 4
     * of one sequence (the GEMVs); fewer on a context shorter than 80. Nothing is kept: the caches are dropped and
     * the model is as loaded. Measured, qwen2.5-0.5b Q4_0, 2 threads, Zen 5, `slmops serve`: the warm-up adds ~4 s
     * to the start (mostly C2 compiling the kernels), and the first request, an 8-token completion of a 16-token
     * prompt, takes 0.7 s instead of 3.0 s. 16 passes instead of 8 changed neither.
     *
     * @param sequences sequences decoded together (a server's batch size; 1..8 are useful)
     * @param kvType    the element type the real requests' caches will use (their kernels differ)
     */
    public void warmUp(int sequences, KvCache.Type kvType) {
        if (sequences < 1) throw new IllegalArgumentException("warm-up needs at least 1 sequence, got " + sequences);
        int prompt = Math.min(WARM_UP_PROMPT, Math.max(1, contextLength / 4));
        int passes = Math.min(WARM_UP_PASSES, Math.max(1, contextLength / 4));
        int vocab = config().vocabSize();
        List<KvCache> caches = new ArrayList<>();
        List<Transformer.SequenceInput> in = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            int[] tokens = new int[prompt];
            for (int i = 0; i < prompt; i++) tokens[i] = (31 * s + 7 * i + 1) % vocab;
            KvCache cache = new KvCache(config(), prompt + passes + passes / 2, kvType);
            caches.add(cache);
            in.add(new Transformer.SequenceInput(cache, tokens, false, adapter));
        }
        transformer.forward(in);
        for (int p = 0; p < passes; p++) {
            in.clear();
            for (int s = 0; s < sequences; s++) {
                in.add(new Transformer.SequenceInput(caches.get(s), new int[] {(p + s) % vocab}, false, adapter));
            }
            transformer.forwardReusingLogits(in);
        }
        for (int p = 0; p < passes / 2; p++) transformer.forward(caches.get(0), new int[] {p % vocab}, false, adapter);
    }

    /** A generator over the model, under the adapter it was loaded with. */
    public Generator generator() {
        return adapter == null ? new Generator(transformer, tokenizer())
                : new Generator(transformer, tokenizer(), adapter);
    }

    @Override
    public void close() {
        pool.close();
        files.close();
    }
}
