package dev.slmops.model.format.gguf;

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
}
