package dev.slmops.model.format.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.arch.Arch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RoPE scaling that llama.cpp stores as tensors rather than keys: llama3's per-frequency divisors
 * ({@code rope_freqs.weight}, F32[head_dim/2]) and Phi-3 LongRoPE's {@code rope_factors_long/short.weight}
 * (F32[rope_dims/2], config.json's long_factor and short_factor as they are). llama.cpp divides each rotary
 * frequency {@code theta^(-2i/d)} by the factor at {@code i}.
 */
public final class GgufRopeTensors {
    private GgufRopeTensors() {
    }

    public static final String LLAMA3_FREQS = "rope_freqs.weight";
    public static final String LONGROPE_LONG = "rope_factors_long.weight";
    public static final String LONGROPE_SHORT = "rope_factors_short.weight";

    /**
     * llama3 rope_freqs as llama.cpp's converter computes them (from config.json's rope_scaling with
     * rope_type "llama3"): for each pair i < headDim/2, freq = theta^(-2i/headDim), wavelength 2π/freq;
     * wavelengths shorter than originalContext/highFreqFactor keep factor 1, longer than
     * originalContext/lowFreqFactor get {@code factor}, and those between are blended:
     * 1 / ((1 - smooth)/factor + smooth) with smooth = (originalContext/wavelength - low) / (high - low).
     */
    public static float[] llama3Factors(int headDim, double theta, double factor, double lowFreqFactor,
                                        double highFreqFactor, int originalContext) {
        double lowFreqWavelength = originalContext / lowFreqFactor;
        double highFreqWavelength = originalContext / highFreqFactor;
        float[] out = new float[headDim / 2];
        for (int i = 0; i < out.length; i++) {
            // torch computes the exponent in float32: base ** (arange(0, dim, 2).float() / dim)
            float exponent = (float) (2 * i) / headDim;
            double freq = 1.0 / Math.pow(theta, exponent);
            double wavelength = 2 * Math.PI / freq;
            if (wavelength < highFreqWavelength) {
                out[i] = 1f;
            } else if (wavelength > lowFreqWavelength) {
                out[i] = (float) factor;
            } else {
                double smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                out[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }

    /**
     * The tensors llama.cpp's converter adds for this config.json's rope_scaling (F32, shape [n]): rope_freqs for
     * arch llama with rope_type "llama3"; rope_factors_long/short for Phi-3 LongRoPE ("longrope" or "su").
     * Empty when the config has no such scaling.
     */
    public static Map<String, float[]> fromHfConfig(Arch arch, JsonNode config) {
        Map<String, float[]> out = new LinkedHashMap<>();
        JsonNode s = config.get("rope_scaling");
        if (s == null || s.isNull()) return out;
        String type = s.path("rope_type").asText(s.path("type").asText(""));
        int heads = config.get("num_attention_heads").asInt();
        int headDim = config.hasNonNull("head_dim") ? config.get("head_dim").asInt() : config.get("hidden_size").asInt() / heads;
        if (arch == Arch.LLAMA && type.equals("llama3")) {
            out.put(LLAMA3_FREQS, llama3Factors(headDim, config.path("rope_theta").asDouble(10000.0),
                    s.get("factor").asDouble(), s.path("low_freq_factor").asDouble(1.0), s.path("high_freq_factor").asDouble(4.0),
                    s.path("original_max_position_embeddings").asInt(8192)));
        }
        if (arch == Arch.PHI3 && (type.equals("longrope") || type.equals("su"))) {
            int ropeDims = (int) (config.path("partial_rotary_factor").asDouble(1.0) * config.get("hidden_size").asInt()) / heads;
            out.put(LONGROPE_LONG, floats(s.get("long_factor"), "rope_scaling.long_factor", ropeDims / 2));
            out.put(LONGROPE_SHORT, floats(s.get("short_factor"), "rope_scaling.short_factor", ropeDims / 2));
        }
        return out;
    }

    private static float[] floats(JsonNode a, String what, int n) {
        if (a == null || !a.isArray() || a.size() != n) {
            throw new IllegalArgumentException("config.json " + what + " must be a list of " + n + " numbers (rotary dims / 2)");
        }
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) a.get(i).asDouble();
        return f;
    }
}
