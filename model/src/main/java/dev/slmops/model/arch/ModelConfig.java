package dev.slmops.model.arch;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Arrays;

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

    /** Reads a Hugging Face config.json (for Gemma 3 multimodal configs, its text_config). */
    public static ModelConfig fromHfConfig(JsonNode root) {
        JsonNode c = root.has("text_config") && root.path("model_type").asText().equals("gemma3")
                ? root.get("text_config") : root;
        String modelType = c.path("model_type").asText(root.path("model_type").asText(null));
        Arch arch = Arch.fromHfModelType(modelType);
        HfKeys k = new HfKeys(c);

        int hidden = k.requiredInt("hidden_size");
        int heads = k.requiredInt("num_attention_heads");
        int kvHeads = k.optInt("num_key_value_heads", heads);
        int layers = k.requiredInt("num_hidden_layers");
        int headDim = k.optInt("head_dim", hidden / heads);
        int vocab = k.requiredInt("vocab_size");
        int ffn = k.requiredInt("intermediate_size");
        int ctx = k.optInt("max_position_embeddings", 2048);
        double eps = k.optDouble("rms_norm_eps", 1e-6);
        double theta = k.optDouble("rope_theta", 10000.0);
        boolean tie = k.optBool("tie_word_embeddings", arch == Arch.GEMMA3);
        int ropeDims = headDim;
        if (c.has("partial_rotary_factor")) ropeDims = (int) Math.round(headDim * c.get("partial_rotary_factor").asDouble());

        boolean[] sliding = new boolean[layers];
        int window = 0;
        double localTheta = theta;
        ModelConfig.Activation act = Activation.SILU;
        boolean plusOne = false, sandwich = false, qkNorm = false, bias = false;
        float embScale = 1f, attnScale = (float) (1.0 / Math.sqrt(headDim)), attnCap = 0f, finalCap = 0f;

        switch (arch) {
            case LLAMA -> bias = k.optBool("attention_bias", false);
            case QWEN2 -> {
                bias = true;
                if (k.optBool("use_sliding_window", false)) {
                    window = k.optInt("sliding_window", 0);
                    int maxWindowLayers = k.optInt("max_window_layers", layers);
                    for (int i = maxWindowLayers; i < layers; i++) sliding[i] = true; // HF: layers >= max_window_layers
                }
            }
            case QWEN3 -> {
                qkNorm = true;
                bias = k.optBool("attention_bias", false);
            }
            case PHI3 -> {
                // Phi-3-mini's config has sliding_window 2047 but HF and llama.cpp both apply it to every layer only
                // when it is smaller than the context; we follow: window on all layers when set.
                if (c.hasNonNull("sliding_window") && c.get("sliding_window").asInt() > 0
                        && c.get("sliding_window").asInt() < ctx) {
                    window = c.get("sliding_window").asInt();
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
                window = k.optInt("sliding_window", 512);
                localTheta = k.optDouble("rope_local_base_freq", 10000.0);
                JsonNode types = c.get("layer_types");
                if (types != null && types.isArray()) {
                    check(types.size() == layers, "layer_types has " + types.size() + " entries for " + layers + " layers");
                    for (int i = 0; i < layers; i++) sliding[i] = types.get(i).asText().equals("sliding_attention");
                } else {
                    int pattern = k.optInt("sliding_window_pattern", 6);
                    for (int i = 0; i < layers; i++) sliding[i] = (i + 1) % pattern != 0;
                }
                if (c.hasNonNull("attn_logit_softcapping")) attnCap = (float) c.get("attn_logit_softcapping").asDouble();
                if (c.hasNonNull("final_logit_softcapping")) finalCap = (float) c.get("final_logit_softcapping").asDouble();
            }
        }
        if (arch != Arch.GEMMA3 && c.hasNonNull("hidden_act")) {
            String a = c.get("hidden_act").asText();
            act = a.startsWith("gelu") ? Activation.GELU_TANH : Activation.SILU;
        }
        RopeScaling scaling = ropeScaling(c.get("rope_scaling"), ropeDims, ctx, k);
        return new ModelConfig(arch, vocab, hidden, ffn, layers, heads, kvHeads, headDim, ropeDims, theta,
                localTheta, scaling, eps, ctx, tie, bias, qkNorm, window, sliding, act, plusOne, sandwich,
                embScale, attnScale, attnCap, finalCap);
    }

    private static RopeScaling ropeScaling(JsonNode s, int ropeDims, int ctx, HfKeys k) {
        if (s == null || s.isNull()) return null;
        String type = s.has("rope_type") ? s.get("rope_type").asText() : s.path("type").asText("");
        return switch (type) {
            case "default", "" -> null;
            case "linear" -> RopeScaling.linear(s.path("factor").asDouble(1.0));
            case "llama3" -> RopeScaling.llama3(s.path("factor").asDouble(8.0),
                    s.path("low_freq_factor").asDouble(1.0), s.path("high_freq_factor").asDouble(4.0),
                    s.path("original_max_position_embeddings").asInt(8192));
            case "longrope", "su" -> {
                float[] lf = floats(s.get("long_factor"), "rope_scaling.long_factor", ropeDims / 2);
                float[] sf = floats(s.get("short_factor"), "rope_scaling.short_factor", ropeDims / 2);
                int orig = k.optInt("original_max_position_embeddings",
                        s.path("original_max_position_embeddings").asInt(ctx));
                Double af = s.hasNonNull("attention_factor") ? s.get("attention_factor").asDouble() : null;
                yield RopeScaling.longRope(lf, sf, orig, ctx, af);
            }
            default -> throw new IllegalArgumentException("unsupported rope_scaling type \"" + type
                    + "\"; supported: linear, llama3, longrope");
        };
    }

    private static float[] floats(JsonNode arr, String what, int expected) {
        if (arr == null || !arr.isArray() || arr.size() != expected) {
            throw new IllegalArgumentException("config.json " + what + " must be a list of " + expected
                    + " numbers (rotary dims / 2)");
        }
        float[] f = new float[expected];
        for (int i = 0; i < expected; i++) f[i] = (float) arr.get(i).asDouble();
        return f;
    }

    /** Typed reads of config.json keys with errors that name the key. */
    private record HfKeys(JsonNode c) {
        int requiredInt(String key) {
            JsonNode n = c.get(key);
            if (n == null || n.isNull()) throw new IllegalArgumentException("config.json has no " + key);
            if (!n.canConvertToInt()) throw new IllegalArgumentException("config.json " + key + " must be an integer, got " + n);
            return n.asInt();
        }

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
