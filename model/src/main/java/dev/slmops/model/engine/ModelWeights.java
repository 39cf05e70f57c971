package dev.slmops.model.engine;

import dev.slmops.model.arch.Arch;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.layers.Embedding;
import dev.slmops.model.layers.Projection;
import dev.slmops.model.layers.Vec;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;

/**
 * Every weight of a model by role, bound by Hugging Face names through a {@link WeightBinder}: for inference
 * ({@link #bind(ModelConfig, WeightSource)}) matrices are repacked {@link Linear}s over the file's bytes and norm
 * vectors and biases, small, are read into float arrays; a trainer binds trainable or frozen kinds instead and runs
 * the same {@link Transformer}.
 */
public final class ModelWeights {
    final ModelConfig config;
    final Embedding embedding;   // [V, D]
    final Vec outputNorm;        // [D]
    final Projection output;     // [V, D]: lm_head, or the embedding table when tied
    final Layer[] layers;

    /** One transformer block's weights. Fused projections (Phi-3) leave the split ones null and vice versa. */
    static final class Layer {
        Vec attnNorm;                // [D]      input_layernorm
        Projection q, k, v;          // [H*Dh, D], [Hkv*Dh, D], [Hkv*Dh, D] (+ bias: Qwen2)
        Projection qkv;              // [(H+2Hkv)*Dh, D]  Phi-3 qkv_proj
        Vec qNorm, kNorm;            // [Dh]     Qwen3/Gemma 3 per-head norms
        Projection o;                // [D, H*Dh]
        Vec postAttnNorm;            // [D]      Gemma 3: norm of the attention output before the residual add
        Vec ffnNorm;                 // [D]      post_attention_layernorm (llama naming) / pre_feedforward_layernorm
        Vec postFfnNorm;             // [D]      Gemma 3: norm of the MLP output before the residual add
        Projection gate, up;         // [F, D]
        Projection gateUp;           // [2F, D]  Phi-3 gate_up_proj (gate rows first)
        Projection down;             // [D, F]
        Projection[] qkvSplit;       // {q, k, v}: run together (one parallel loop in decode)
        Projection[] gateAndUp;      // {gate, up}: likewise
    }

    private ModelWeights(ModelConfig config, Embedding embedding, Vec outputNorm, Projection output, Layer[] layers) {
        this.config = config;
        this.embedding = embedding;
        this.outputNorm = outputNorm;
        this.output = output;
        this.layers = layers;
    }

    public ModelConfig config() {
        return config;
    }

    /** The output projection [V, D] (a loss over the final hidden states reads it). */
    public Projection output() {
        return output;
    }

    /** For inference: matrices repacked for the fast kernels, vectors read into float arrays. */
    public static ModelWeights bind(ModelConfig c, WeightSource src) {
        return bind(c, new InferenceBinder(src), null);
    }

    /**
     * {@link #bind(ModelConfig, WeightSource)} with the output matrix and the layers packed on {@code pool}'s threads,
     * one per task (packing is most of a load: qwen2.5-0.5b Q8_0 ~2.3 s of ~6 s to the first token on one thread).
     * The sources only read their files, and no two matrices' packings share anything.
     */
    public static ModelWeights bind(ModelConfig c, WeightSource src, WorkerPool pool) {
        return bind(c, new InferenceBinder(src), pool);
    }

    /** Binds every weight of the architecture by Hugging Face name, in the roles the forward reads. */
    public static ModelWeights bind(ModelConfig c, WeightBinder b) {
        return bind(c, b, null);
    }

    /** The binding, the layers in order on this thread where {@code pool} is null (a binder may keep state in order). */
    private static ModelWeights bind(ModelConfig c, WeightBinder b, WorkerPool pool) {
        int D = c.hiddenSize(), V = c.vocabSize();
        Embedding embedding = b.embedding("model.embed_tokens.weight", V, D, c.embeddingScale());
        Layer[] layers = new Layer[c.numLayers()];
        Projection[] head = new Projection[1];
        Runnable bindOutput = () -> head[0] = c.tieEmbeddings() ? b.tiedOutput(V, D) : b.matrix("lm_head", V, D, null);
        Vec outputNorm;
        if (pool != null) {
            // the output matrix first (task 0, the caller's): the largest of a small model (qwen2.5-0.5b: 27% of
            // its bytes), packed while the other threads take the layers
            pool.parallelFor(layers.length + 1, t -> {
                if (t == 0) bindOutput.run();
                else layers[t - 1] = bindLayer(c, b, t - 1);
            });
            outputNorm = b.vector("model.norm.weight", D);
        } else {
            for (int i = 0; i < layers.length; i++) layers[i] = bindLayer(c, b, i);
            outputNorm = b.vector("model.norm.weight", D);
            bindOutput.run();
        }
        Projection output = head[0];
        if (c.tieEmbeddings()) embedding = b.afterTiedOutput(embedding, output);
        return new ModelWeights(c, embedding, outputNorm, output, layers);
    }

    /** Layer i's weights by Hugging Face name. */
    private static Layer bindLayer(ModelConfig c, WeightBinder b, int i) {
        int D = c.hiddenSize(), F = c.intermediateSize(), Dh = c.headDim();
        String p = "model.layers." + i + ".";
        Layer l = new Layer();
        l.attnNorm = b.vector(p + "input_layernorm.weight", D);
        if (c.arch() == Arch.PHI3) {
            l.qkv = b.matrix(p + "self_attn.qkv_proj", c.qDim() + 2 * c.kvDim(), D, null);
            l.gateUp = b.matrix(p + "mlp.gate_up_proj", 2 * F, D, null);
        } else {
            boolean bias = c.attentionBias();
            l.q = b.matrix(p + "self_attn.q_proj", c.qDim(), D, bias ? b.vector(p + "self_attn.q_proj.bias", c.qDim()) : null);
            l.k = b.matrix(p + "self_attn.k_proj", c.kvDim(), D, bias ? b.vector(p + "self_attn.k_proj.bias", c.kvDim()) : null);
            l.v = b.matrix(p + "self_attn.v_proj", c.kvDim(), D, bias ? b.vector(p + "self_attn.v_proj.bias", c.kvDim()) : null);
            l.gate = b.matrix(p + "mlp.gate_proj", F, D, null);
            l.up = b.matrix(p + "mlp.up_proj", F, D, null);
            l.qkvSplit = new Projection[] {l.q, l.k, l.v};
            l.gateAndUp = new Projection[] {l.gate, l.up};
        }
        if (c.qkNorm()) {
            l.qNorm = b.vector(p + "self_attn.q_norm.weight", Dh);
            l.kNorm = b.vector(p + "self_attn.k_norm.weight", Dh);
        }
        l.o = b.matrix(p + "self_attn.o_proj", D, c.qDim(), null);
        if (c.sandwichNorms()) {
            l.postAttnNorm = b.vector(p + "post_attention_layernorm.weight", D);
            l.ffnNorm = b.vector(p + "pre_feedforward_layernorm.weight", D);
            l.postFfnNorm = b.vector(p + "post_feedforward_layernorm.weight", D);
        } else {
            l.ffnNorm = b.vector(p + "post_attention_layernorm.weight", D);
        }
        l.down = b.matrix(p + "mlp.down_proj", D, F, null);
        return l;
    }

    /** Inference weights: {@link Linear} over the stored matrices, vectors as F32 arrays, the embedding as stored. */
    private static final class InferenceBinder implements WeightBinder {
        private final WeightSource src;
        /** The tied output when it was made from the embedding table (not from a file's own lm_head.weight). */
        private Linear outputOverEmbedding;

        InferenceBinder(WeightSource src) {
            this.src = src;
        }

        @Override
        public Embedding embedding(String name, int vocab, int dim, float scale) {
            StoredTensor t = src.require(name);
            expectShape(src, t, vocab, dim);
            return Embedding.frozen(dim, scale, t.dtype(), t.data());
        }

        @Override
        public Vec vector(String name, int n) {
            return new Vec(ModelWeights.vector(src, name, n), null, 0, n);
        }

        @Override
        public Projection matrix(String module, int out, int in, Vec bias) {
            StoredTensor w = src.find(module + ".weight").orElse(null);
            if (w == null && module.equals("lm_head")) {
                throw new IllegalArgumentException(src.describe() + " has no lm_head.weight and the config does not tie "
                        + "embeddings (tie_word_embeddings is false)");
            }
            if (w == null) w = src.require(module + ".weight");
            expectShape(src, w, out, in);
            return new Linear(module, w, bias == null ? null : bias.values());
        }

        /** A file may carry lm_head.weight although its config ties embeddings: the file's matrix wins, as before. */
        @Override
        public Projection tiedOutput(int vocab, int dim) {
            StoredTensor head = src.find("lm_head.weight").orElse(null);
            StoredTensor t = head != null ? head : src.require("model.embed_tokens.weight");
            expectShape(src, t, vocab, dim);
            Linear output = new Linear("lm_head", t, null);
            if (head == null) outputOverEmbedding = output;
            return output;
        }

        /**
         * Where the output repacked the embedding table itself, lookups read its rows from that copy (the same
         * values): the table's file pages would otherwise come back into the resident set with every lookup (with
         * the kernel's fault-around, 64 KiB a lookup), on top of the copy.
         */
        @Override
        public Embedding afterTiedOutput(Embedding embedding, Projection tiedOutput) {
            return tiedOutput == outputOverEmbedding && outputOverEmbedding.readsRows()
                    ? embedding.readingRowsFrom(outputOverEmbedding::row) : embedding;
        }
    }

    static float[] vector(WeightSource src, String name, int n) {
        StoredTensor t = src.require(name);
        expectShape(src, t, n);
        float[] f = new float[n];
        Dequantize.toFloat(t.dtype(), t.data(), 0, f, 0, n);
        return f;
    }

    private static void expectShape(WeightSource src, StoredTensor t, long... shape) {
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(src.describe() + ": tensor " + t.name() + " has shape "
                    + java.util.Arrays.toString(t.shape()) + ", the config implies " + java.util.Arrays.toString(shape));
        }
    }
}
