package dev.slmops.model.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.format.ModelFileException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A typed view of a Hugging Face {@code config.json}: the keys architectures need, checked for type and range,
 * plus {@link #raw()} for everything else. Required keys missing are named in the error
 * ({@code "config.json has no hidden_size"}); optional ones are empty, or take transformers' default where one
 * is universal (num_key_value_heads = num_attention_heads, head_dim = hidden_size / num_attention_heads).
 *
 * @param architectures        e.g. ["LlamaForCausalLM"]; empty when absent
 * @param modelType            e.g. "llama", "qwen3"
 * @param hiddenSize           D
 * @param intermediateSize     F, the MLP width
 * @param numHiddenLayers      L
 * @param numAttentionHeads    H
 * @param numKeyValueHeads     Hkv (defaults to H)
 * @param headDim              Dh (defaults to D / H)
 * @param rmsNormEps           epsilon of RMSNorm
 * @param ropeTheta            rotary base (also read from transformers 5's rope_parameters)
 * @param ropeScaling          rope_scaling (or rope_parameters with a non-default rope_type)
 * @param maxPositionEmbeddings trained context length
 * @param vocabSize            V
 * @param tieWordEmbeddings    the LM head shares the embedding matrix
 * @param slidingWindow        window in tokens of sliding-attention layers (absent or null: none)
 * @param layerTypes           per layer, e.g. "sliding_attention" / "full_attention"; empty when absent
 * @param partialRotaryFactor  fraction of each head's dims that RoPE rotates
 * @param torchDtype           the dtype weights were saved in ("bfloat16" ...), from torch_dtype or dtype
 * @param bosTokenIds          bos_token_id as a list (an int becomes a one-element list)
 * @param eosTokenIds          eos_token_id as a list
 * @param raw                  the whole config.json
 */
public record HfConfig(
        List<String> architectures, String modelType,
        int hiddenSize, OptionalInt intermediateSize, int numHiddenLayers, int numAttentionHeads,
        int numKeyValueHeads, int headDim, OptionalDouble rmsNormEps, OptionalDouble ropeTheta,
        Optional<RopeScalingConfig> ropeScaling, OptionalInt maxPositionEmbeddings, int vocabSize,
        Optional<Boolean> tieWordEmbeddings, OptionalInt slidingWindow, List<String> layerTypes,
        OptionalDouble partialRotaryFactor, Optional<String> torchDtype,
        List<Integer> bosTokenIds, List<Integer> eosTokenIds, JsonNode raw) {

    public static final String FILE_NAME = "config.json";

    public HfConfig {
        architectures = List.copyOf(architectures);
        layerTypes = List.copyOf(layerTypes);
        bosTokenIds = List.copyOf(bosTokenIds);
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Reads {@code dir/config.json}; errors name the model directory. */
    public static HfConfig read(Path configFile) throws IOException {
        JsonNode root = JsonFiles.read(configFile);
        return fromJson(root, String.valueOf(configFile.toAbsolutePath().getParent()));
    }

    /** Parses config.json bytes; {@code where} (the model dir, or a description) prefixes errors. */
    public static HfConfig parse(byte[] json, String where) throws ModelFileException {
        return fromJson(JsonFiles.parse(json, where + "/" + FILE_NAME), where);
    }

    /** The typed view of an already-parsed config.json. */
    public static HfConfig fromJson(JsonNode root, String where) throws ModelFileException {
        if (!root.isObject()) {
            throw new ModelFileException(where, "config.json is " + JsonFiles.kindOf(root) + ", expected a JSON object");
        }
        Keys k = new Keys(root, where, "");
        int hidden = k.requiredPositiveInt("hidden_size");
        int heads = k.requiredPositiveInt("num_attention_heads");
        int kvHeads = k.optPositiveInt("num_key_value_heads").orElse(heads);
        int headDim = k.optPositiveInt("head_dim").orElse(hidden / heads);
        if (headDim == 0) {
            throw new ModelFileException(where, "config.json has no head_dim and hidden_size " + hidden
                    + " / num_attention_heads " + heads + " is 0");
        }
        JsonNode ropeParams = root.get("rope_parameters");   // transformers 5 moves rope_theta/rope_scaling here
        OptionalDouble theta = k.optFiniteDouble("rope_theta");
        if (theta.isEmpty() && ropeParams != null && ropeParams.isObject()) {
            theta = new Keys(ropeParams, where, "rope_parameters.").optFiniteDouble("rope_theta");
        }
        Optional<RopeScalingConfig> scaling = RopeScalingConfig.parse(root.get("rope_scaling"), where, "rope_scaling");
        if (scaling.isEmpty() && ropeParams != null && !ropeParams.isNull()) {
            scaling = RopeScalingConfig.parse(ropeParams, where, "rope_parameters")
                    .filter(s -> !s.ropeType().equals("default"));
        }
        Optional<String> dtype = k.optString("torch_dtype");
        if (dtype.isEmpty()) dtype = k.optString("dtype");
        return new HfConfig(
                k.optStringList("architectures"),
                k.requiredString("model_type"),
                hidden,
                k.optPositiveInt("intermediate_size"),
                k.requiredPositiveInt("num_hidden_layers"),
                heads, kvHeads, headDim,
                k.optFiniteDouble("rms_norm_eps"),
                theta, scaling,
                k.optPositiveInt("max_position_embeddings"),
                k.requiredPositiveInt("vocab_size"),
                k.optBool("tie_word_embeddings"),
                k.optPositiveInt("sliding_window"),
                k.optStringList("layer_types"),
                k.optFiniteDouble("partial_rotary_factor"),
                dtype,
                k.intOrIntList("bos_token_id"),
                k.intOrIntList("eos_token_id"),
                root);
    }

    /** Typed reads of one JSON object's keys, with errors naming config.json, the key and what was found. */
    record Keys(JsonNode obj, String where, String prefix) {
        private ModelFileException error(String problem) {
            return new ModelFileException(where, "config.json " + problem);
        }

        private JsonNode get(String key) {
            JsonNode n = obj.get(key);
            return n == null || n.isNull() ? null : n;
        }

        int requiredPositiveInt(String key) throws ModelFileException {
            JsonNode n = get(key);
            if (n == null) throw error("has no " + prefix + key);
            return positiveInt(key, n);
        }

        OptionalInt optPositiveInt(String key) throws ModelFileException {
            JsonNode n = get(key);
            return n == null ? OptionalInt.empty() : OptionalInt.of(positiveInt(key, n));
        }

        private int positiveInt(String key, JsonNode n) throws ModelFileException {
            if (!isWholeNumber(n) || !n.canConvertToInt() || n.intValue() <= 0) {
                throw error(prefix + key + " must be a positive integer below 2^31, got " + brief(n));
            }
            return n.intValue();
        }

        OptionalDouble optFiniteDouble(String key) throws ModelFileException {
            JsonNode n = get(key);
            if (n == null) return OptionalDouble.empty();
            if (!n.isNumber() || !Double.isFinite(n.doubleValue())) {
                throw error(prefix + key + " must be a finite number, got " + brief(n));
            }
            return OptionalDouble.of(n.doubleValue());
        }

        String requiredString(String key) throws ModelFileException {
            JsonNode n = get(key);
            if (n == null) throw error("has no " + prefix + key);
            if (!n.isTextual()) throw error(prefix + key + " must be a string, got " + brief(n));
            return n.textValue();
        }

        Optional<String> optString(String key) throws ModelFileException {
            JsonNode n = get(key);
            if (n == null) return Optional.empty();
            if (!n.isTextual()) throw error(prefix + key + " must be a string, got " + brief(n));
            return Optional.of(n.textValue());
        }

        Optional<Boolean> optBool(String key) throws ModelFileException {
            JsonNode n = get(key);
            if (n == null) return Optional.empty();
            if (!n.isBoolean()) throw error(prefix + key + " must be true or false, got " + brief(n));
            return Optional.of(n.booleanValue());
        }

        List<String> optStringList(String key) throws ModelFileException {
            JsonNode n = get(key);
            if (n == null) return List.of();
            if (!n.isArray()) throw error(prefix + key + " must be a list of strings, got " + brief(n));
            List<String> out = new ArrayList<>(n.size());
            for (JsonNode e : n) {
                if (!e.isTextual()) throw error(prefix + key + " must be a list of strings, has " + brief(e));
                out.add(e.textValue());
            }
            return out;
        }

        List<Double> optDoubleList(String key) throws ModelFileException {
            JsonNode n = get(key);
            if (n == null) return List.of();
            if (!n.isArray()) throw error(prefix + key + " must be a list of numbers, got " + brief(n));
            List<Double> out = new ArrayList<>(n.size());
            for (JsonNode e : n) {
                if (!e.isNumber() || !Double.isFinite(e.doubleValue())) {
                    throw error(prefix + key + " must be a list of finite numbers, has " + brief(e));
                }
                out.add(e.doubleValue());
            }
            return out;
        }

        /** Token ids: an int, a list of ints, or absent (empty). */
        List<Integer> intOrIntList(String key) throws ModelFileException {
            JsonNode n = get(key);
            if (n == null) return List.of();
            if (n.isArray()) {
                List<Integer> out = new ArrayList<>(n.size());
                for (JsonNode e : n) out.add(tokenId(key, e));
                return out;
            }
            return List.of(tokenId(key, n));
        }

        private int tokenId(String key, JsonNode n) throws ModelFileException {
            if (!isWholeNumber(n) || !n.canConvertToInt() || n.intValue() < 0) {
                throw error(prefix + key + " must be a token id (non-negative integer) or a list of them, got "
                        + brief(n));
            }
            return n.intValue();
        }

        private static boolean isWholeNumber(JsonNode n) {
            return n.isIntegralNumber() || (n.isNumber() && n.doubleValue() == Math.rint(n.doubleValue()));
        }

        private static String brief(JsonNode n) {
            String s = n.toString();
            return s.length() > 60 ? s.substring(0, 60) + "..." : s;
        }
    }
}
