package dev.slmops.model.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.format.ModelFileException;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * config.json's {@code rope_scaling} object as written, before any architecture interprets it.
 *
 * @param ropeType                        "linear", "dynamic", "llama3", "longrope", "yarn", "default" ...
 *                                        (from rope_type, or the older key type)
 * @param factor                          context extension factor
 * @param lowFreqFactor                   llama3
 * @param highFreqFactor                  llama3
 * @param originalMaxPositionEmbeddings   the trained context (llama3, longrope, yarn)
 * @param longFactor                      longrope: per-frequency divisors beyond the original context
 * @param shortFactor                     longrope: per-frequency divisors within it
 * @param raw                             the object, for keys not listed here
 */
public record RopeScalingConfig(String ropeType, OptionalDouble factor, OptionalDouble lowFreqFactor,
                                OptionalDouble highFreqFactor, OptionalInt originalMaxPositionEmbeddings,
                                List<Double> longFactor, List<Double> shortFactor, JsonNode raw) {

    public RopeScalingConfig {
        longFactor = List.copyOf(longFactor);
        shortFactor = List.copyOf(shortFactor);
    }

    /** Empty when the node is absent or null; {@code key} is where it sits in config.json (for errors). */
    static Optional<RopeScalingConfig> parse(JsonNode node, String where, String key) throws ModelFileException {
        if (node == null || node.isNull()) return Optional.empty();
        if (!node.isObject()) {
            throw new ModelFileException(where, "config.json " + key + " must be an object or null, got "
                    + JsonFiles.kindOf(node));
        }
        HfConfig.Keys k = new HfConfig.Keys(node, where, key + ".");
        Optional<String> type = k.optString("rope_type");
        if (type.isEmpty()) type = k.optString("type");
        if (type.isEmpty()) {
            throw new ModelFileException(where, "config.json " + key + " has neither rope_type nor type");
        }
        return Optional.of(new RopeScalingConfig(type.get(), k.optFiniteDouble("factor"),
                k.optFiniteDouble("low_freq_factor"), k.optFiniteDouble("high_freq_factor"),
                k.optPositiveInt("original_max_position_embeddings"),
                k.optDoubleList("long_factor"), k.optDoubleList("short_factor"), node));
    }
}
