package dev.slmops.model.engine;

import dev.slmops.model.arch.Arch;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.quant.Dequantize;

/**
 * Every weight of a model, by role, bound from a {@link WeightSource} by Hugging Face names. Matrices stay in
 * the file's bytes (mapped); norm vectors and biases, small, are read into float arrays.
 */
public final class ModelWeights {
    final ModelConfig config;
    final StoredTensor tokenEmbedding; // [V, D]
    final float[] outputNorm;          // [D]
    final Linear output;               // [V, D]: lm_head, or token_embd when tied
    final Layer[] layers;

    /** One transformer block's weights. Fused projections (Phi-3) leave the split ones null and vice versa. */
    static final class Layer {
        float[] attnNorm;        // [D]      input_layernorm
        Linear q, k, v;          // [H*Dh, D], [Hkv*Dh, D], [Hkv*Dh, D]
        Linear qkv;              // [(H+2Hkv)*Dh, D]  Phi-3 qkv_proj
        float[] qNorm, kNorm;    // [Dh]     Qwen3/Gemma 3 per-head norms
        Linear o;                // [D, H*Dh]
        float[] postAttnNorm;    // [D]      Gemma 3: norm of the attention output before the residual add
        float[] ffnNorm;         // [D]      post_attention_layernorm (llama naming) / pre_feedforward_layernorm
        float[] postFfnNorm;     // [D]      Gemma 3: norm of the MLP output before the residual add
        Linear gate, up;         // [F, D]
        Linear gateUp;           // [2F, D]  Phi-3 gate_up_proj (gate rows first)
        Linear down;             // [D, F]
        Linear[] qkvSplit;       // {q, k, v}: run together (one parallel loop in decode)
        Linear[] gateAndUp;      // {gate, up}: likewise
    }

    private ModelWeights(ModelConfig config, StoredTensor tokenEmbedding, float[] outputNorm, Linear output,
                         Layer[] layers) {
        this.config = config;
        this.tokenEmbedding = tokenEmbedding;
        this.outputNorm = outputNorm;
        this.output = output;
        this.layers = layers;
    }

    public ModelConfig config() {
        return config;
    }

    public static ModelWeights bind(ModelConfig c, WeightSource src) {
        StoredTensor embed = src.require("model.embed_tokens.weight");
        expectShape(src, embed, c.vocabSize(), c.hiddenSize());
        StoredTensor head = src.find("lm_head.weight").orElse(null);
        if (head == null && !c.tieEmbeddings()) {
            throw new IllegalArgumentException(src.describe() + " has no lm_head.weight and the config does not tie "
                    + "embeddings (tie_word_embeddings is false)");
        }
        Linear output = new Linear("lm_head", head != null ? head : embed, null);
        float[] norm = vector(src, "model.norm.weight", c.hiddenSize());

        Layer[] layers = new Layer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            Layer l = new Layer();
            l.attnNorm = vector(src, p + "input_layernorm.weight", c.hiddenSize());
            if (c.arch() == Arch.PHI3) {
                l.qkv = linear(src, p + "self_attn.qkv_proj", c.qDim() + 2 * c.kvDim(), c.hiddenSize(), false);
                l.gateUp = linear(src, p + "mlp.gate_up_proj", 2 * c.intermediateSize(), c.hiddenSize(), false);
            } else {
                l.q = linear(src, p + "self_attn.q_proj", c.qDim(), c.hiddenSize(), c.attentionBias());
                l.k = linear(src, p + "self_attn.k_proj", c.kvDim(), c.hiddenSize(), c.attentionBias());
                l.v = linear(src, p + "self_attn.v_proj", c.kvDim(), c.hiddenSize(), c.attentionBias());
                l.gate = linear(src, p + "mlp.gate_proj", c.intermediateSize(), c.hiddenSize(), false);
                l.up = linear(src, p + "mlp.up_proj", c.intermediateSize(), c.hiddenSize(), false);
                l.qkvSplit = new Linear[] {l.q, l.k, l.v};
                l.gateAndUp = new Linear[] {l.gate, l.up};
            }
            l.o = linear(src, p + "self_attn.o_proj", c.hiddenSize(), c.qDim(), false);
            l.down = linear(src, p + "mlp.down_proj", c.hiddenSize(), c.intermediateSize(), false);
            if (c.qkNorm()) {
                l.qNorm = vector(src, p + "self_attn.q_norm.weight", c.headDim());
                l.kNorm = vector(src, p + "self_attn.k_norm.weight", c.headDim());
            }
            if (c.sandwichNorms()) {
                l.postAttnNorm = vector(src, p + "post_attention_layernorm.weight", c.hiddenSize());
                l.ffnNorm = vector(src, p + "pre_feedforward_layernorm.weight", c.hiddenSize());
                l.postFfnNorm = vector(src, p + "post_feedforward_layernorm.weight", c.hiddenSize());
            } else {
                l.ffnNorm = vector(src, p + "post_attention_layernorm.weight", c.hiddenSize());
            }
            layers[i] = l;
        }
        return new ModelWeights(c, embed, norm, output, layers);
    }

    private static Linear linear(WeightSource src, String prefix, int out, int in, boolean bias) {
        StoredTensor w = src.require(prefix + ".weight");
        expectShape(src, w, out, in);
        float[] b = bias ? vector(src, prefix + ".bias", out) : null;
        return new Linear(prefix, w, b);
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

    /** Row {@code token} of the embedding table, dequantized into dst[off .. off+D). */
    void embed(int token, float[] dst, int off) {
        int d = config.hiddenSize();
        Dequantize.toFloat(tokenEmbedding.dtype(), tokenEmbedding.data(), token * tokenEmbedding.dtype().bytesFor(d),
                dst, off, d);
    }
}
