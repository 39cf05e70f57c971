package dev.slmops.model.arch;

import com.fasterxml.jackson.databind.JsonNode;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.format.gguf.GgufHyperParams;
import dev.slmops.model.format.gguf.GgufKeys;
import dev.slmops.model.format.gguf.GgufRopeTensors;
import dev.slmops.model.format.hf.HfConfig;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.model.format.hf.RopeScalingConfig;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The hyper-parameters of one model, in one place, whatever file they came from (config.json or GGUF
 * metadata). Everything the forward pass branches on is a field here, so the architecture code reads as
 * a straight line with a few named switches.
 *
 * <p>Legend used across the engine: V vocab, D hidden size, F feed-forward size, L layers, H query heads,
 * Hkv key/value heads, Dh head dim, R rotary dims per head (<= Dh), T tokens.
 *
 * @param arch               the family
 * @param vocabSize          V
 * @param hiddenSize         D
 * @param intermediateSize   F
 * @param numLayers          L
 * @param numHeads           H
 * @param numKvHeads         Hkv (H % Hkv == 0: grouped-query attention)
 * @param headDim            Dh (usually D/H; Qwen3 and Gemma 3 set it independently)
 * @param ropeDims           R, rotary dimensions of each head (Phi-3's partial_rotary_factor * Dh)
 * @param ropeTheta          rotary base of full-attention layers
 * @param ropeLocalTheta     rotary base of sliding-window layers (Gemma 3: 10000); equals ropeTheta elsewhere
 * @param ropeScaling        null for none; applies to full-attention layers only
 * @param rmsNormEps         epsilon inside every RMSNorm
 * @param contextLength      max_position_embeddings: the longest sequence the model supports
 * @param tieEmbeddings      output projection shares token_embd's weights
 * @param attentionBias      q/k/v projections have biases (Qwen2)
 * @param qkNorm             RMSNorm over each head of q and k before RoPE (Qwen3, Gemma 3)
 * @param slidingWindow      window size in tokens of sliding layers (0: none)
 * @param slidingLayers      per layer, true when it attends within slidingWindow only; length L
 * @param activation         MLP gate activation
 * @param normPlusOne        RMSNorm multiplies by (1 + w) (Gemma)
 * @param sandwichNorms      extra norms after attention and after the MLP (Gemma 3)
 * @param embeddingScale     token embeddings are multiplied by this (Gemma: sqrt(D), else 1)
 * @param attentionScale     scores are q.k * attentionScale (1/sqrt(Dh), Gemma 3: query_pre_attn_scalar^-0.5)
 * @param attnSoftcap        tanh soft-capping of attention scores (0: none)
 * @param finalSoftcap       tanh soft-capping of the logits (0: none)
 */
public record ModelConfig(
        Arch arch,
        int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
        int numHeads, int numKvHeads, int headDim, int ropeDims,
        double ropeTheta, double ropeLocalTheta, RopeScaling ropeScaling,
        double rmsNormEps, int contextLength, boolean tieEmbeddings,
        boolean attentionBias, boolean qkNorm,
        int slidingWindow, boolean[] slidingLayers,
        Activation activation, boolean normPlusOne, boolean sandwichNorms,
        float embeddingScale, float attentionScale, float attnSoftcap, float finalSoftcap) {

    public enum Activation { SILU, GELU_TANH }

    public ModelConfig {
        slidingLayers = slidingLayers.clone();
        check(vocabSize > 0, "vocab_size must be positive, got " + vocabSize);
        check(hiddenSize > 0, "hidden_size must be positive, got " + hiddenSize);
        check(intermediateSize > 0, "intermediate_size must be positive, got " + intermediateSize);
        check(numLayers > 0, "num_hidden_layers must be positive, got " + numLayers);
        check(numHeads > 0 && numKvHeads > 0 && numHeads % numKvHeads == 0,
                "num_attention_heads (" + numHeads + ") must be a positive multiple of num_key_value_heads ("
                        + numKvHeads + ")");
        check(headDim > 0 && headDim % 2 == 0, "head_dim must be positive and even, got " + headDim);
        check(ropeDims > 0 && ropeDims <= headDim && ropeDims % 2 == 0,
                "rotary dims must be even and within head_dim, got " + ropeDims + " of " + headDim);
        check(slidingLayers.length == numLayers, "one sliding/full flag per layer expected, got "
                + slidingLayers.length + " for " + numLayers + " layers");
        check(contextLength > 0, "max_position_embeddings must be positive, got " + contextLength);
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("invalid model config: " + message);
    }

    @Override
    public boolean[] slidingLayers() {
        return slidingLayers.clone();
    }

    public boolean isSliding(int layer) {
        return slidingLayers[layer];
    }

    /** H * Dh: width of the concatenated query heads. */
    public int qDim() {
        return numHeads * headDim;
    }

    /** Hkv * Dh: width of the concatenated key (and value) heads. */
    public int kvDim() {
        return numKvHeads * headDim;
    }

    /**
     * The model config of a Hugging Face config.json (already checked for types by {@link HfConfig}); for Gemma 3
     * multimodal configs, give the text_config. Architecture-specific keys are read from {@link HfConfig#raw()}.
     */
    public static ModelConfig fromHf(HfConfig hf) {
        JsonNode c = hf.raw();
        Arch arch = Arch.fromHfModelType(hf.modelType());
        HfKeys k = new HfKeys(c);
        int hidden = hf.hiddenSize(), heads = hf.numAttentionHeads(), layers = hf.numHiddenLayers();
        int headDim = hf.headDim();
        int ffn = hf.intermediateSize().orElseThrow(() -> new IllegalArgumentException("config.json has no intermediate_size"));
        int ctx = hf.maxPositionEmbeddings().orElse(2048);
        double eps = hf.rmsNormEps().orElse(1e-6);
        double theta = hf.ropeTheta().orElse(10000.0);
        boolean tie = hf.tieWordEmbeddings().orElse(arch == Arch.GEMMA3);
        int ropeDims = (int) Math.round(headDim * hf.partialRotaryFactor().orElse(1.0));

        boolean[] sliding = new boolean[layers];
        int window = 0;
        double localTheta = theta;
        Activation act = Activation.SILU;
        boolean plusOne = false, sandwich = false, qkNorm = false, bias = false;
        float embScale = 1f, attnScale = (float) (1.0 / Math.sqrt(headDim)), attnCap = 0f, finalCap = 0f;

        switch (arch) {
            case LLAMA -> bias = k.optBool("attention_bias", false);
            case QWEN2 -> {
                bias = true;
                if (k.optBool("use_sliding_window", false)) {
                    window = hf.slidingWindow().orElse(0);
                    int maxWindowLayers = k.optInt("max_window_layers", layers);
                    for (int i = maxWindowLayers; i < layers; i++) sliding[i] = true; // HF: layers >= max_window_layers
                }
            }
            case QWEN3 -> {
                qkNorm = true;
                bias = k.optBool("attention_bias", false);
            }
            case PHI3 -> {
                // Phi-3-mini sets sliding_window 2047 for every layer; Phi-4-mini sets one beyond its context (none).
                int w = hf.slidingWindow().orElse(0);
                if (w > 0 && w < ctx) {
                    window = w;
                    Arrays.fill(sliding, true);
                }
            }
            case GEMMA3 -> {
                act = Activation.GELU_TANH;
                plusOne = true;
                sandwich = true;
                qkNorm = true;
                embScale = (float) Math.sqrt(hidden);
                attnScale = (float) (1.0 / Math.sqrt(k.optDouble("query_pre_attn_scalar", headDim)));
                window = hf.slidingWindow().orElse(512);
                localTheta = k.optDouble("rope_local_base_freq", 10000.0);
                if (!hf.layerTypes().isEmpty()) {
                    check(hf.layerTypes().size() == layers, "layer_types has " + hf.layerTypes().size()
                            + " entries for " + layers + " layers");
                    for (int i = 0; i < layers; i++) sliding[i] = hf.layerTypes().get(i).equals("sliding_attention");
                } else {
                    int pattern = k.optInt("sliding_window_pattern", 6);
                    for (int i = 0; i < layers; i++) sliding[i] = (i + 1) % pattern != 0; // HF: every pattern-th is global
                }
                attnCap = (float) k.optDouble("attn_logit_softcapping", 0);
                finalCap = (float) k.optDouble("final_logit_softcapping", 0);
            }
        }
        if (arch != Arch.GEMMA3 && c.hasNonNull("hidden_act")) {
            act = c.get("hidden_act").asText().startsWith("gelu") ? Activation.GELU_TANH : Activation.SILU;
        }
        RopeScaling scaling = hf.ropeScaling().map(s -> ropeScaling(s, ropeDims, ctx, k)).orElse(null);
        return new ModelConfig(arch, hf.vocabSize(), hidden, ffn, layers, heads, hf.numKeyValueHeads(), headDim,
                ropeDims, theta, localTheta, scaling, eps, ctx, tie, bias, qkNorm, window, sliding, act, plusOne,
                sandwich, embScale, attnScale, attnCap, finalCap);
    }

    /**
     * The model config of a GGUF file: the hyper-parameter keys mapped back to config.json's names through
     * {@link GgufHyperParams}, then read as {@link #fromHf}; RoPE scaling that llama.cpp stores as tensors
     * (llama3's rope_freqs, LongRoPE's rope_factors_long/short) is read from them.
     */
    public static ModelConfig fromGguf(GgufFile gguf) throws ModelFileException {
        Arch arch = Arch.fromGgufName(gguf.architecture());
        Map<String, Object> meta = gguf.metadata();
        String a = arch.ggufName + ".";
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("model_type", arch.hfModelType);
        GgufHyperParams.toHfConfig(arch, meta).forEach((k, v) -> {
            switch (v) {
                case Long l -> json.put(k, l);
                case Double d -> json.put(k, d);
                case Boolean b -> json.put(k, b);
                default -> json.put(k, String.valueOf(v));
            }
        });
        if (json.path("sliding_window").asLong(-1) == 0) json.remove("sliding_window"); // llama.cpp's "none"
        if (meta.get(a + "attention.sliding_window_pattern") instanceof Number n) json.put("sliding_window_pattern", n.longValue());
        if (meta.get(a + "rope.freq_base_swa") instanceof Number n) json.put("rope_local_base_freq", n.doubleValue());
        if (!json.has("vocab_size")) {
            long vocab = gguf.hasTensor("token_embd.weight") ? gguf.tensor("token_embd.weight").dim(0)
                    : meta.get(GgufKeys.TOKENS) instanceof List<?> l ? l.size() : 0;
            json.put("vocab_size", vocab);
        }
        if (meta.get(a + GgufKeys.KEY_LENGTH) instanceof Number n) json.put("head_dim", n.longValue());
        int heads = ((Number) meta.getOrDefault(a + GgufKeys.HEAD_COUNT, 1L)).intValue();
        int hidden = ((Number) meta.getOrDefault(a + GgufKeys.EMBEDDING_LENGTH, 0L)).intValue();
        long headDim = json.has("head_dim") ? json.get("head_dim").asLong() : heads == 0 ? 0 : hidden / heads;
        if (meta.get(a + GgufKeys.ROPE_DIMENSION_COUNT) instanceof Number n && headDim > 0 && n.longValue() != headDim) {
            json.put("partial_rotary_factor", n.doubleValue() / headDim);
        }
        json.put("tie_word_embeddings", !gguf.hasTensor("output.weight"));
        if (arch == Arch.QWEN2) json.put("use_sliding_window", false);
        if (meta.get(a + GgufKeys.ROPE_SCALING_TYPE) instanceof String type && type.equals("linear")
                && meta.get(a + GgufKeys.ROPE_SCALING_FACTOR) instanceof Number f) {
            json.putObject("rope_scaling").put("rope_type", "linear").put("factor", f.doubleValue());
        }
        ModelConfig c = fromHf(HfConfig.fromJson(json, gguf.source()));
        RopeScaling scaling = c.ropeScaling;
        if (gguf.hasTensor(GgufRopeTensors.LLAMA3_FREQS)) {
            scaling = RopeScaling.frequencyFactors(vectorOf(gguf, GgufRopeTensors.LLAMA3_FREQS, c.ropeDims / 2));
        } else if (gguf.hasTensor(GgufRopeTensors.LONGROPE_LONG)) {
            int orig = meta.get(a + GgufKeys.ROPE_SCALING_ORIG_CTX) instanceof Number n ? n.intValue() : c.contextLength;
            Double af = meta.get(a + GgufKeys.ROPE_SCALING_ATTN_FACTOR) instanceof Number n ? n.doubleValue() : null;
            scaling = RopeScaling.longRope(vectorOf(gguf, GgufRopeTensors.LONGROPE_LONG, c.ropeDims / 2),
                    vectorOf(gguf, GgufRopeTensors.LONGROPE_SHORT, c.ropeDims / 2), orig, c.contextLength, af);
        }
        return new ModelConfig(c.arch, c.vocabSize, c.hiddenSize, c.intermediateSize, c.numLayers, c.numHeads,
                c.numKvHeads, c.headDim, c.ropeDims, c.ropeTheta, c.ropeLocalTheta, scaling, c.rmsNormEps,
                c.contextLength, c.tieEmbeddings, c.attentionBias, c.qkNorm, c.slidingWindow, c.slidingLayers,
                c.activation, c.normPlusOne, c.sandwichNorms, c.embeddingScale, c.attentionScale, c.attnSoftcap,
                c.finalSoftcap);
    }

    /** This configuration with its own output projection (lm_head.weight) instead of the tied embedding. */
    public ModelConfig untied() {
        return new ModelConfig(arch, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                ropeDims, ropeTheta, ropeLocalTheta, ropeScaling, rmsNormEps, contextLength, false, attentionBias, qkNorm,
                slidingWindow, slidingLayers, activation, normPlusOne, sandwichNorms, embeddingScale, attentionScale,
                attnSoftcap, finalSoftcap);
    }

    private static float[] vectorOf(GgufFile gguf, String name, int n) throws ModelFileException {
        StoredTensor t = gguf.tensor(name);
        if (t.elementCount() != n) {
            throw new ModelFileException(gguf.source(), "tensor " + name + " has " + t.elementCount()
                    + " values; the rotary dims imply " + n);
        }
        float[] f = new float[n];
        Dequantize.toFloat(t.dtype(), t.data(), 0, f, 0, n);
        return f;
    }

    private static RopeScaling ropeScaling(RopeScalingConfig s, int ropeDims, int ctx, HfKeys k) {
        return switch (s.ropeType()) {
            case "default" -> null;
            case "linear" -> RopeScaling.linear(s.factor().orElse(1.0));
            case "llama3" -> RopeScaling.llama3(s.factor().orElse(8.0), s.lowFreqFactor().orElse(1.0),
                    s.highFreqFactor().orElse(4.0), s.originalMaxPositionEmbeddings().orElse(8192));
            case "longrope", "su" -> {
                float[] lf = floats(s.longFactor(), "rope_scaling.long_factor", ropeDims / 2);
                float[] sf = floats(s.shortFactor(), "rope_scaling.short_factor", ropeDims / 2);
                int orig = k.optInt("original_max_position_embeddings", s.originalMaxPositionEmbeddings().orElse(ctx));
                Double af = s.raw().hasNonNull("attention_factor") ? s.raw().get("attention_factor").asDouble() : null;
                yield RopeScaling.longRope(lf, sf, orig, ctx, af);
            }
            default -> throw new IllegalArgumentException("unsupported rope_scaling type \"" + s.ropeType()
                    + "\"; supported: linear, llama3, longrope");
        };
    }

    private static float[] floats(List<Double> list, String what, int expected) {
        if (list.size() != expected) {
            throw new IllegalArgumentException("config.json " + what + " must be a list of " + expected
                    + " numbers (rotary dims / 2), got " + list.size());
        }
        float[] f = new float[expected];
        for (int i = 0; i < expected; i++) f[i] = list.get(i).floatValue();
        return f;
    }

    /** Typed reads of config.json keys with errors that name the key. */
    private record HfKeys(JsonNode c) {
        int optInt(String key, int dflt) {
            JsonNode n = c.get(key);
            if (n == null || n.isNull()) return dflt;
            if (!n.canConvertToInt()) throw new IllegalArgumentException("config.json " + key + " must be an integer, got " + n);
            return n.asInt();
        }

        double optDouble(String key, double dflt) {
            JsonNode n = c.get(key);
            if (n == null || n.isNull()) return dflt;
            if (!n.isNumber()) throw new IllegalArgumentException("config.json " + key + " must be a number, got " + n);
            return n.asDouble();
        }

        boolean optBool(String key, boolean dflt) {
            JsonNode n = c.get(key);
            if (n == null || n.isNull()) return dflt;
            if (!n.isBoolean()) throw new IllegalArgumentException("config.json " + key + " must be true or false, got " + n);
            return n.asBoolean();
        }
    }
}
