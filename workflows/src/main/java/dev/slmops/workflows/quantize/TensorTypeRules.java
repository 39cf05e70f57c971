package dev.slmops.workflows.quantize;

import dev.slmops.tensor.DType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama.cpp's choice of a type per tensor for a file type (src/llama-quant.cpp: {@code tensor_allows_quantization},
 * {@code llama_tensor_get_type}, {@code llama_tensor_get_type_impl}, {@code tensor_type_fallback}), for the
 * K-quant and legacy mixes slmops writes. The rules depend on the order tensors are visited (counters of attn_v
 * and ffn_down tensors seen so far), so {@link #plan} visits them in llama.cpp's order ({@link #LLAMA_ORDER}:
 * by layer number, then by name) and the output file is written in that order too.
 *
 * <p>Not ported: Falcon's and 70B-specific tweaks, the IQ/TQ/MXFP4 file types, manual per-tensor overrides.
 */
public final class TensorTypeRules {
    private TensorTypeRules() {
    }

    /** A tensor as the rules see it: GGUF name, ggml's ne[] (innermost first), current type. */
    public record TensorInfo(String name, long[] ne, DType type) {
        /** ggml_n_dims: trailing dimensions of 1 do not count. */
        int nDims() {
            for (int i = ne.length - 1; i >= 1; i--) if (ne[i] > 1) return i + 1;
            return 1;
        }
    }

    /** The hyper-parameters the rules read. {@code nExpert} is 0 for dense models. */
    public record ModelShape(int nLayer, int nHead, int nHeadKv, int nExpert) {
        int nGqa() {
            return nHeadKv == 0 ? 0 : nHead / nHeadKv;
        }
    }

    private static final Pattern LAYER = Pattern.compile("^blk\\.(\\d+)\\.");

    static int layerOf(String name) {
        Matcher m = LAYER.matcher(name);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** llama_model_loader's weight_name_comparer: layer number (-1 outside blocks) first, then the name's bytes. */
    public static final Comparator<String> LLAMA_ORDER = Comparator.comparingInt(TensorTypeRules::layerOf)
            .thenComparing(TensorTypeRules::compareBytes);

    private static int compareBytes(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    enum Category { TOKEN_EMBD, ATTENTION_Q, ATTENTION_V, ATTENTION_K, ATTENTION_QKV, ATTENTION_KV_B, ATTENTION_OUTPUT,
        FFN_UP, FFN_GATE, FFN_DOWN, OUTPUT, OTHER }

    static Category category(String name) {
        if (name.equals("output.weight")) return Category.OUTPUT;
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) return Category.TOKEN_EMBD;
        if (name.contains("attn_qkv.weight")) return Category.ATTENTION_QKV;
        if (name.contains("attn_kv_b.weight")) return Category.ATTENTION_KV_B;
        if (name.contains("attn_v.weight")) return Category.ATTENTION_V;
        if (name.contains("attn_k.weight")) return Category.ATTENTION_K;
        if (name.contains("attn_q.weight")) return Category.ATTENTION_Q;
        if (name.contains("attn_output.weight")) return Category.ATTENTION_OUTPUT;
        if (name.contains("ffn_up")) return Category.FFN_UP;
        if (name.contains("ffn_gate")) return Category.FFN_GATE;
        if (name.contains("ffn_down")) return Category.FFN_DOWN;
        return Category.OTHER;
    }

    private static boolean isAttnV(Category c) {
        return c == Category.ATTENTION_V || c == Category.ATTENTION_QKV || c == Category.ATTENTION_KV_B;
    }

    private static final List<String> NEVER_QUANTIZED = List.of("_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight",
            "altup", "laurel", "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight",
            "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
            "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight",
            "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
            "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd", "sam.pos_embd",
            "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd");

    /** tensor_allows_quantization: 2-D and 3-D weights, except norms, routers, positional tables and a few tiny ones. */
    static boolean allowsQuantization(TensorInfo t) {
        if (t.nDims() < 2) return false;
        String n = t.name();
        if (!n.endsWith("weight")) return false;
        for (String s : NEVER_QUANTIZED) if (n.contains(s)) return false;
        return !n.equals("position_embd.weight") && !n.equals("token_types.weight");
    }

    /** One tensor's decision; {@code note} is the console line llama.cpp prints for a fallback, else null. */
    public record Choice(DType type, String note) {
    }

    /**
     * The type of every tensor, keyed by name in {@link #LLAMA_ORDER}.
     *
     * @param tensors all tensors of the model, any order
     */
    public static Map<String, Choice> plan(List<TensorInfo> tensors, QuantType ftype, ModelShape shape, boolean pure,
                                           boolean hasImatrix) {
        List<TensorInfo> ordered = new ArrayList<>(tensors);
        ordered.sort(Comparator.comparing(TensorInfo::name, LLAMA_ORDER));
        State s = new State(ftype, shape, hasImatrix);
        for (TensorInfo t : ordered) {
            Category c = category(t.name());
            if (isAttnV(c)) s.nAttentionWv++;
            if (c == Category.OUTPUT) s.hasTiedEmbeddings = false;
        }
        s.nFfnDown = s.nFfnGate = s.nFfnUp = shape.nLayer();
        Map<String, Choice> out = new LinkedHashMap<>();
        for (TensorInfo t : ordered) out.put(t.name(), s.choose(t, pure));
        return out;
    }

    private static final class State {
        final QuantType ftype;
        final ModelShape shape;
        final boolean hasImatrix;
        int nAttentionWv, nFfnDown, nFfnGate, nFfnUp;
        int iAttentionWv, iFfnDown, iFfnGate, iFfnUp;
        boolean hasTiedEmbeddings = true;

        State(QuantType ftype, ModelShape shape, boolean hasImatrix) {
            this.ftype = ftype;
            this.shape = shape;
            this.hasImatrix = hasImatrix;
        }

        Choice choose(TensorInfo t, boolean pure) {
            if (!allowsQuantization(t)) return new Choice(t.type(), null);
            DType type = ftype.baseType;
            if (!type.isQuantized()) return new Choice(type, null);
            if (!pure) type = impl(type, t, category(t.name()));
            return fallback(t, type);
        }

        private static boolean useMoreBits(int iLayer, int nLayers) {
            return iLayer < nLayers / 8 || iLayer >= 7 * nLayers / 8 || (iLayer - nLayers / 8) % 3 == 2;
        }

        private int layerInfo(int counter, String name) {
            if (Math.max(1, shape.nExpert()) > 1) {
                int l = layerOf(name);
                if (l < 0 || l >= shape.nLayer()) {
                    throw new IllegalArgumentException("cannot tell the layer of expert tensor " + name);
                }
                return l;
            }
            return counter;
        }

        /** llama_tensor_get_type_impl for the K-quant and legacy file types (the IQ branches are left out). */
        private DType impl(DType newType, TensorInfo t, Category category) {
            QuantType f = ftype;
            long nx = t.ne()[0];
            if (category == Category.OUTPUT || (hasTiedEmbeddings && category == Category.TOKEN_EMBD)) {
                if (nx % newType.blockSize != 0) newType = DType.Q8_0;
                else if (newType != DType.Q8_0) newType = DType.Q6_K;
            } else if (category == Category.TOKEN_EMBD) {
                // untied embeddings keep the base type for these file types
            } else if (isAttnV(category)) {
                if (f == QuantType.Q2_K) newType = shape.nGqa() >= 4 ? DType.Q4_K : DType.Q3_K;
                else if (f == QuantType.Q3_K_M) newType = iAttentionWv < 2 ? DType.Q5_K : DType.Q4_K;
                else if (f == QuantType.Q3_K_L) newType = DType.Q5_K;
                else if ((f == QuantType.Q4_K_M || f == QuantType.Q5_K_M) && useMoreBits(iAttentionWv, nAttentionWv)) newType = DType.Q6_K;
                else if (f == QuantType.Q4_K_S && iAttentionWv < 4) newType = DType.Q5_K;
                if (shape.nExpert() == 8) newType = DType.Q8_0;
                ++iAttentionWv;
            } else if (category == Category.ATTENTION_K) {
                if (shape.nExpert() == 8) newType = DType.Q8_0;
            } else if (category == Category.ATTENTION_Q) {
                // only IQ file types change attn_q
            } else if (category == Category.FFN_DOWN) {
                int iLayer = layerInfo(iFfnDown, t.name());
                int nLayer = nFfnDown;
                if (f == QuantType.Q2_K) newType = DType.Q3_K;
                else if (f == QuantType.Q3_K_M) newType = iLayer < nLayer / 16 ? DType.Q5_K : DType.Q4_K; // non-Falcon
                else if (f == QuantType.Q3_K_L) newType = DType.Q5_K;
                else if (f == QuantType.Q4_K_M) {
                    if (useMoreBits(iLayer, nLayer)) newType = DType.Q6_K;
                } else if (f == QuantType.Q5_K_M && useMoreBits(iLayer, nLayer)) newType = DType.Q6_K;
                else if (f == QuantType.Q4_K_S && iLayer < nLayer / 8) newType = DType.Q5_K;
                else if ((f == QuantType.Q4_0 || f == QuantType.Q5_0) && hasImatrix && iLayer < nLayer / 8) {
                    newType = f == QuantType.Q4_0 ? DType.Q4_1 : DType.Q5_1;
                }
                ++iFfnDown;
            } else if (category == Category.ATTENTION_OUTPUT) {
                if (shape.nExpert() == 8) {
                    if (f == QuantType.Q2_K || f == QuantType.Q3_K_S || f == QuantType.Q3_K_M || f == QuantType.Q4_K_S
                            || f == QuantType.Q4_K_M) {
                        newType = DType.Q5_K;
                    }
                } else {
                    if (f == QuantType.Q2_K) newType = DType.Q3_K;
                    else if (f == QuantType.Q3_K_M) newType = DType.Q4_K;
                    else if (f == QuantType.Q3_K_L) newType = DType.Q5_K;
                }
            } else if (category == Category.ATTENTION_QKV) {
                if (f == QuantType.Q3_K_M || f == QuantType.Q3_K_L) newType = DType.Q4_K;
                else if (f == QuantType.Q4_K_M) newType = DType.Q5_K;
                else if (f == QuantType.Q5_K_M) newType = DType.Q6_K;
            } else if (category == Category.FFN_GATE) {
                layerInfo(iFfnGate, t.name());
                ++iFfnGate;
            } else if (category == Category.FFN_UP) {
                layerInfo(iFfnUp, t.name());
                ++iFfnUp;
            }
            return newType;
        }

        /** tensor_type_fallback: a row length that is not a multiple of the block takes a 32-block type, else F16. */
        private static Choice fallback(TensorInfo t, DType target) {
            long ncols = t.ne()[0];
            if (ncols % target.blockSize == 0) return new Choice(target, null);
            DType to = switch (target) {
                case Q2_K, Q3_K -> DType.Q4_0;
                case Q4_K -> DType.Q5_0;
                case Q5_K -> DType.Q5_1;
                case Q6_K -> DType.Q8_0;
                default -> target;
            };
            String note = t.name() + ": " + ncols + " columns are not a multiple of " + target.blockSize + " (required for "
                    + target + ")";
            if (ncols % to.blockSize != 0) {
                note += " (must use F16 due to unusual shape)";
                to = DType.F16;
            }
            return new Choice(to, note + " -> falling back to " + to);
        }
    }

    /** Prints nothing itself: hands each fallback note to {@code log}, as llama.cpp prints them. */
    static void reportFallbacks(Map<String, Choice> plan, Consumer<String> log) {
        plan.values().stream().filter(c -> c.note() != null).forEach(c -> log.accept("warning: " + c.note()));
    }
}
