package dev.slmops.train.model;

import dev.slmops.model.arch.Arch;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.train.nn.Embedding;
import dev.slmops.train.nn.Projection;
import dev.slmops.train.nn.Vec;

/**
 * The weights of the training transformer by role, as the engine's ModelWeights, but each one trainable or frozen
 * (see {@link dev.slmops.train.nn}). Fused projections (Phi-3) leave the split ones null and vice versa.
 */
public final class TrainWeights {
    public final Embedding embedding;  // [V, D]
    public final Vec outputNorm;       // [D]
    public final Projection output;    // [V, D]: lm_head, or the embedding's rows when tied
    public final Layer[] layers;

    public static final class Layer {
        public Vec attnNorm;                  // [D]
        public Projection q, k, v;            // [H*Dh, D], [Hkv*Dh, D], [Hkv*Dh, D] (+ bias: Qwen2)
        public Projection qkv;                // [(H+2Hkv)*Dh, D]  Phi-3
        public Vec qNorm, kNorm;              // [Dh]  Qwen3, Gemma 3
        public Projection o;                  // [D, H*Dh]
        public Vec postAttnNorm;              // [D]  Gemma 3
        public Vec ffnNorm;                   // [D]
        public Vec postFfnNorm;               // [D]  Gemma 3
        public Projection gate, up;           // [F, D]
        public Projection gateUp;             // [2F, D]  Phi-3 (gate rows first)
        public Projection down;               // [D, F]
    }

    public TrainWeights(Embedding embedding, Vec outputNorm, Projection output, Layer[] layers) {
        this.embedding = embedding;
        this.outputNorm = outputNorm;
        this.output = output;
        this.layers = layers;
    }

    /** Makes each weight trainable or frozen: full fine-tuning and LoRA differ only here. */
    public interface Binder {
        Embedding embedding(String name, int vocab, int dim, float scale);

        Vec vector(String name, int n);

        /** The projection of matrix {@code name} [out, in] with its bias (or null). */
        Projection matrix(String name, int out, int in, Vec bias);

        /** The output projection over the embedding table (tied embeddings). */
        Projection tiedOutput(int vocab, int dim);
    }

    /** Binds every weight of the architecture by Hugging Face name, in the roles the forward reads. */
    public static TrainWeights bind(ModelConfig c, Binder b) {
        int D = c.hiddenSize(), F = c.intermediateSize(), V = c.vocabSize(), Dh = c.headDim();
        Embedding embedding = b.embedding("model.embed_tokens.weight", V, D, c.embeddingScale());
        Layer[] layers = new Layer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            Layer l = new Layer();
            l.attnNorm = b.vector(p + "input_layernorm.weight", D);
            if (c.arch() == Arch.PHI3) {
                l.qkv = b.matrix(p + "self_attn.qkv_proj.weight", c.qDim() + 2 * c.kvDim(), D, null);
                l.gateUp = b.matrix(p + "mlp.gate_up_proj.weight", 2 * F, D, null);
            } else {
                boolean bias = c.attentionBias();
                l.q = b.matrix(p + "self_attn.q_proj.weight", c.qDim(), D, bias ? b.vector(p + "self_attn.q_proj.bias", c.qDim()) : null);
                l.k = b.matrix(p + "self_attn.k_proj.weight", c.kvDim(), D, bias ? b.vector(p + "self_attn.k_proj.bias", c.kvDim()) : null);
                l.v = b.matrix(p + "self_attn.v_proj.weight", c.kvDim(), D, bias ? b.vector(p + "self_attn.v_proj.bias", c.kvDim()) : null);
                l.gate = b.matrix(p + "mlp.gate_proj.weight", F, D, null);
                l.up = b.matrix(p + "mlp.up_proj.weight", F, D, null);
            }
            if (c.qkNorm()) {
                l.qNorm = b.vector(p + "self_attn.q_norm.weight", Dh);
                l.kNorm = b.vector(p + "self_attn.k_norm.weight", Dh);
            }
            l.o = b.matrix(p + "self_attn.o_proj.weight", D, c.qDim(), null);
            if (c.sandwichNorms()) {
                l.postAttnNorm = b.vector(p + "post_attention_layernorm.weight", D);
                l.ffnNorm = b.vector(p + "pre_feedforward_layernorm.weight", D);
                l.postFfnNorm = b.vector(p + "post_feedforward_layernorm.weight", D);
            } else {
                l.ffnNorm = b.vector(p + "post_attention_layernorm.weight", D);
            }
            l.down = b.matrix(p + "mlp.down_proj.weight", D, F, null);
            layers[i] = l;
        }
        Vec outputNorm = b.vector("model.norm.weight", D);
        Projection output = c.tieEmbeddings() ? b.tiedOutput(V, D) : b.matrix("lm_head.weight", V, D, null);
        return new TrainWeights(embedding, outputNorm, output, layers);
    }
}
