package dev.slmops.model.arch;

import java.util.ArrayList;
import java.util.List;

/**
 * Every tensor an architecture reads, by Hugging Face name, with its shape: the one list that model creation,
 * export and loading agree on.
 */
public final class ModelTensors {
    private ModelTensors() {
    }

    public enum Kind { EMBEDDING, MATRIX, NORM, BIAS }

    /** @param shape outermost first: [out, in] for matrices */
    public record Spec(String name, Kind kind, long[] shape) {
    }

    public static List<Spec> of(ModelConfig c) {
        List<Spec> t = new ArrayList<>();
        int D = c.hiddenSize(), F = c.intermediateSize(), V = c.vocabSize(), Dh = c.headDim();
        t.add(new Spec("model.embed_tokens.weight", Kind.EMBEDDING, new long[]{V, D}));
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            t.add(norm(p + "input_layernorm.weight", D));
            if (c.arch() == Arch.PHI3) {
                t.add(matrix(p + "self_attn.qkv_proj.weight", c.qDim() + 2 * c.kvDim(), D));
            } else {
                t.add(matrix(p + "self_attn.q_proj.weight", c.qDim(), D));
                t.add(matrix(p + "self_attn.k_proj.weight", c.kvDim(), D));
                t.add(matrix(p + "self_attn.v_proj.weight", c.kvDim(), D));
                if (c.attentionBias()) {
                    t.add(bias(p + "self_attn.q_proj.bias", c.qDim()));
                    t.add(bias(p + "self_attn.k_proj.bias", c.kvDim()));
                    t.add(bias(p + "self_attn.v_proj.bias", c.kvDim()));
                }
            }
            if (c.qkNorm()) {
                t.add(norm(p + "self_attn.q_norm.weight", Dh));
                t.add(norm(p + "self_attn.k_norm.weight", Dh));
            }
            t.add(matrix(p + "self_attn.o_proj.weight", D, c.qDim()));
            t.add(norm(p + "post_attention_layernorm.weight", D));
            if (c.sandwichNorms()) {
                t.add(norm(p + "pre_feedforward_layernorm.weight", D));
                t.add(norm(p + "post_feedforward_layernorm.weight", D));
            }
            if (c.arch() == Arch.PHI3) {
                t.add(matrix(p + "mlp.gate_up_proj.weight", 2 * F, D));
            } else {
                t.add(matrix(p + "mlp.gate_proj.weight", F, D));
                t.add(matrix(p + "mlp.up_proj.weight", F, D));
            }
            t.add(matrix(p + "mlp.down_proj.weight", D, F));
        }
        t.add(norm("model.norm.weight", D));
        if (!c.tieEmbeddings()) t.add(matrix("lm_head.weight", V, D));
        return t;
    }

    private static Spec matrix(String name, long rows, long cols) {
        return new Spec(name, Kind.MATRIX, new long[]{rows, cols});
    }

    private static Spec norm(String name, long n) {
        return new Spec(name, Kind.NORM, new long[]{n});
    }

    private static Spec bias(String name, long n) {
        return new Spec(name, Kind.BIAS, new long[]{n});
    }
}
