package dev.slmops.tensor.ops;

/**
 * Rotary position embedding of one token's heads, in place.
 *
 * <p>Dimension pair i (i < rotaryDims/2) rotates by angle pos * theta_i with
 * theta_i = base^(-2i / rotaryDims) / freqFactor[i] (freqFactor: llama3 / LongRoPE per-dimension scaling, null =
 * all 1); cos and sin are multiplied by {@code attentionFactor} (LongRoPE/YaRN's magnitude correction, 1 for
 * none). Pair i is (2i, 2i+1) in {@link Mode#NORMAL} (llama.cpp's default, e.g. GGUF Llama with its permuted q/k)
 * and (i, i + rotaryDims/2) in {@link Mode#NEOX} (Hugging Face's rotate_half, Qwen, Phi, Gemma, GPT-NeoX).
 * Dimensions past rotaryDims (partial rotary, e.g. Phi-2) are left as they are.
 *
 * <p>Angles are computed in double (one sin/cos per pair per call, shared by all heads), so results differ from
 * float-angle implementations by a few float ulps at large positions.
 */
public final class Rope {
    /** Which dimensions form a rotated pair. */
    public enum Mode { NORMAL, NEOX }

    private final Mode mode;
    private final int headDim;
    private final int rotaryDims;
    /** [rotaryDims/2] radians per position. */
    private final double[] invFreq;
    private final double attentionFactor;

    /**
     * @param headDim     floats per head
     * @param rotaryDims  leading dims of each head that rotate (even, <= headDim)
     * @param base        frequency base (rope_theta), e.g. 10000 or 500000
     * @param freqFactors null, or [rotaryDims/2] divisors of each pair's frequency
     * @param attentionFactor multiplier of cos and sin (1 for none)
     */
    public Rope(Mode mode, int headDim, int rotaryDims, double base, float[] freqFactors, double attentionFactor) {
        if (rotaryDims <= 0 || rotaryDims % 2 != 0 || rotaryDims > headDim) {
            throw new IllegalArgumentException("rotary dims must be even and in (0, headDim=" + headDim + "], got " + rotaryDims);
        }
        if (freqFactors != null && freqFactors.length != rotaryDims / 2) {
            throw new IllegalArgumentException("expected " + rotaryDims / 2 + " rope frequency factors (one per rotated pair), got " + freqFactors.length);
        }
        this.mode = mode;
        this.headDim = headDim;
        this.rotaryDims = rotaryDims;
        this.attentionFactor = attentionFactor;
        this.invFreq = new double[rotaryDims / 2];
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = Math.pow(base, -2.0 * i / rotaryDims) / (freqFactors == null ? 1.0 : freqFactors[i]);
        }
    }

    public Rope(Mode mode, int headDim, double base) {
        this(mode, headDim, headDim, base, null, 1.0);
    }

    /** Rotates x[off + h*headDim ..] for h < nHeads (x: [nHeads][headDim]) to position {@code pos}. */
    public void apply(float[] x, int off, int nHeads, int pos) {
        int half = rotaryDims / 2;
        float[] cos = new float[half], sin = new float[half];
        for (int i = 0; i < half; i++) {
            double angle = pos * invFreq[i];
            cos[i] = (float) (Math.cos(angle) * attentionFactor);
            sin[i] = (float) (Math.sin(angle) * attentionFactor);
        }
        int stride = mode == Mode.NORMAL ? 1 : half; // distance between the two members of a pair
        int step = mode == Mode.NORMAL ? 2 : 1;      // distance between consecutive pairs' first members
        for (int h = 0; h < nHeads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = base + i * step, b = a + stride;
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * cos[i] - x1 * sin[i];
                x[b] = x0 * sin[i] + x1 * cos[i];
            }
        }
    }

    /** Naive oracle: rotates a copy of one head in double. */
    public static float[] reference(Mode mode, float[] head, int rotaryDims, double base, float[] freqFactors,
                                    double attentionFactor, int pos) {
        double[] y = new double[head.length];
        for (int d = 0; d < head.length; d++) y[d] = head[d];
        int half = rotaryDims / 2;
        for (int i = 0; i < half; i++) {
            double theta = pos * Math.pow(base, -2.0 * i / rotaryDims) / (freqFactors == null ? 1 : freqFactors[i]);
            int a = mode == Mode.NORMAL ? 2 * i : i, b = mode == Mode.NORMAL ? 2 * i + 1 : i + half;
            double c = Math.cos(theta) * attentionFactor, s = Math.sin(theta) * attentionFactor;
            y[a] = head[a] * c - head[b] * s;
            y[b] = head[a] * s + head[b] * c;
        }
        float[] out = new float[head.length];
        for (int d = 0; d < head.length; d++) out[d] = (float) y[d];
        return out;
    }

    public int headDim() {
        return headDim;
    }

    public int rotaryDims() {
        return rotaryDims;
    }

    public Mode mode() {
        return mode;
    }
}
