package dev.slmops.model.arch;

/**
 * How rotary frequencies are stretched beyond the trained context (config.json's {@code rope_scaling}).
 *
 * @param type              "linear", "llama3", "longrope", or "factors" (per-frequency divisors given as data, as
 *                          llama.cpp's rope_freqs tensor stores llama3 scaling); none is a null RopeScaling
 * @param factor            context extension factor (linear: positions divided by it; llama3: low frequencies)
 * @param lowFreqFactor     llama3 only
 * @param highFreqFactor    llama3 only
 * @param originalContext   the context the model was trained at (llama3, longrope)
 * @param longFactor        longrope: per-frequency divisors used past originalContext, length ropeDims/2
 * @param shortFactor       longrope: per-frequency divisors used within originalContext
 * @param freqFactors       "factors": frequency i is divided by freqFactors[i], length ropeDims/2
 * @param attentionFactor   longrope: cos/sin multiplier, sqrt(1 + ln(s)/ln(originalContext)) with
 *                          s = context / originalContext, unless config gives it
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalContext, float[] longFactor, float[] shortFactor, float[] freqFactors,
                          double attentionFactor) {

    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, 0, 0, 0, null, null, null, 1.0);
    }

    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalContext) {
        return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalContext, null, null, null, 1.0);
    }

    public static RopeScaling longRope(float[] longFactor, float[] shortFactor, int originalContext,
                                       int context, Double attentionFactorOrNull) {
        double s = (double) context / originalContext;
        double af = attentionFactorOrNull != null ? attentionFactorOrNull
                : s <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(s) / Math.log(originalContext));
        return new RopeScaling("longrope", s, 0, 0, originalContext, longFactor, shortFactor, null, af);
    }

    /** Per-frequency divisors given as data (llama.cpp's rope_freqs tensor). */
    public static RopeScaling frequencyFactors(float[] factors) {
        return new RopeScaling("factors", 1, 0, 0, 0, null, null, factors.clone(), 1.0);
    }
}
