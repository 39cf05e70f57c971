package dev.slmops.model.engine;

import dev.slmops.model.arch.RopeScaling;

/**
 * Rotary position embedding in the Hugging Face layout ("rotate half", NeoX style): within the first R dims of
 * each head, dim i pairs with dim i + R/2 and rotates by angle pos * invFreq[i]. Dims from R on pass through.
 * (llama.cpp's GGUF files for the llama arch store q/k rows permuted so its interleaved mode computes the same;
 * the GGUF reader undoes that permutation, so one mode serves every file.)
 */
public final class RopeTable {
    final int ropeDims;        // R
    final float[] invFreq;     // [R/2]
    final float attentionFactor; // cos/sin multiplier (LongRoPE), else 1

    /**
     * @param useLongFactors LongRoPE: the long factors when the context in use exceeds the trained one
     */
    public RopeTable(int ropeDims, double theta, RopeScaling scaling, boolean useLongFactors) {
        this.ropeDims = ropeDims;
        int half = ropeDims / 2;
        invFreq = new float[half];
        float af = 1f;
        for (int i = 0; i < half; i++) {
            // As HF: 1 / base^(2i/R) computed in float32.
            float f = (float) (1.0 / Math.pow(theta, (double) (2 * i) / ropeDims));
            if (scaling != null) {
                switch (scaling.type()) {
                    case "linear" -> f = (float) (f / scaling.factor());
                    case "llama3" -> f = llama3(f, scaling);
                    case "factors" -> f = f / scaling.freqFactors()[i];
                    case "longrope" -> f = (float) (f / (useLongFactors ? scaling.longFactor()[i] : scaling.shortFactor()[i]));
                    default -> throw new IllegalArgumentException("unsupported rope scaling " + scaling.type());
                }
            }
            invFreq[i] = f;
        }
        if (scaling != null && scaling.type().equals("longrope")) af = (float) scaling.attentionFactor();
        this.attentionFactor = af;
    }

    /** Llama 3's frequency-dependent stretch: high frequencies kept, low ones divided by factor, a ramp between. */
    private static float llama3(float f, RopeScaling s) {
        double lowWavelen = s.originalContext() / s.lowFreqFactor();
        double highWavelen = s.originalContext() / s.highFreqFactor();
        double wavelen = 2 * Math.PI / f;
        if (wavelen < highWavelen) return f;
        if (wavelen > lowWavelen) return (float) (f / s.factor());
        double smooth = (s.originalContext() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        return (float) ((1 - smooth) * f / s.factor() + smooth * f);
    }

    /** Rotates each of {@code heads} heads of width headDim in x[off ..] in place, for position pos. */
    public void apply(float[] x, int off, int heads, int headDim, int pos) {
        rotate(x, off, heads, headDim, pos, 1f);
    }

    /**
     * Backward of {@link #apply}: the forward is y = a R(theta) x per pair (a the attention factor, R a rotation), so
     * dx = a R(-theta) dy, the same rotation with the sine negated. In place on the gradient rows.
     */
    public void applyBackward(float[] dy, int off, int heads, int headDim, int pos) {
        rotate(dy, off, heads, headDim, pos, -1f);
    }

    private void rotate(float[] x, int off, int heads, int headDim, int pos, float sinSign) {
        int half = ropeDims / 2;
        for (int i = 0; i < half; i++) {
            float angle = pos * invFreq[i];
            float c = (float) Math.cos(angle) * attentionFactor;
            float s = (float) Math.sin(angle) * attentionFactor * sinSign;
            for (int h = 0; h < heads; h++) {
                int b = off + h * headDim;
                float x1 = x[b + i], x2 = x[b + i + half];
                x[b + i] = x1 * c - x2 * s;
                x[b + i + half] = x2 * c + x1 * s;
            }
        }
    }
}
