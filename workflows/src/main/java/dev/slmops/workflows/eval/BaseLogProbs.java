package dev.slmops.workflows.eval;

/**
 * One position's log-probabilities over the vocabulary in llama.cpp's compact form (the rows of a
 * {@code --kl-divergence-base} file): two floats, {@code scale} and {@code minLogProb}, then one uint16 per token,
 * {@code logProb[i] ≈ scale * q[i] + minLogProb}. Log-probabilities more than 16 nats below the top one are clamped
 * to the floor (q = 0), which is also where {@link KlDivergence} stops counting a token.
 *
 * <p>Layout of a row in 16-bit words (as llama.cpp writes it, little-endian): [0..1] scale (float), [2..3]
 * minLogProb (float), [4..4+V) q, padded to an even count: {@link #rowWords(int)} = 2 * ((V + 1) / 2) + 4.
 */
public final class BaseLogProbs {
    private BaseLogProbs() {
    }

    /** 16-bit words per position for a vocabulary of V. */
    public static int rowWords(int V) {
        return 2 * ((V + 1) / 2) + 4;
    }

    /**
     * Encodes softmax(logits row) into {@code out[outOff .. outOff + rowWords(V))}.
     *
     * @return the negative log-likelihood of {@code token} (exact, from the float logits)
     */
    public static double encode(float[] logits, int off, int V, int token, short[] out, int outOff) {
        float max = logits[off], min = logits[off];
        for (int i = 1; i < V; i++) {
            max = Math.max(max, logits[off + i]);
            min = Math.min(min, logits[off + i]);
        }
        min = Math.max(min, max - 16);
        double sumExp = 0;
        for (int i = 0; i < V; i++) sumExp += (float) Math.exp(logits[off + i] - max);
        float logSumExp = (float) Math.log(sumExp);
        float minLogProb = min - max - logSumExp;
        float scale = (max - min) / 65535f;
        putFloat(out, outOff, scale);
        putFloat(out, outOff + 2, minLogProb);
        int q = outOff + 4;
        if (scale != 0) {
            float invScale = 1 / scale;
            for (int i = 0; i < V; i++) {
                float x = logits[off + i];
                out[q + i] = x > min ? (short) (int) Math.rint(invScale * (x - min)) : 0;
            }
        } else {
            java.util.Arrays.fill(out, q, q + V, (short) 0);
        }
        return max + logSumExp - logits[off + token];
    }

    public static float scale(short[] row, int off) {
        return getFloat(row, off);
    }

    public static float minLogProb(short[] row, int off) {
        return getFloat(row, off + 2);
    }

    /** The stored log-probability of token i. */
    public static float logProb(short[] row, int off, int i) {
        return scale(row, off) * (row[off + 4 + i] & 0xFFFF) + minLogProb(row, off);
    }

    private static void putFloat(short[] a, int i, float v) {
        int bits = Float.floatToRawIntBits(v);
        a[i] = (short) bits;           // little-endian: low half first
        a[i + 1] = (short) (bits >>> 16);
    }

    private static float getFloat(short[] a, int i) {
        return Float.intBitsToFloat((a[i] & 0xFFFF) | (a[i + 1] << 16));
    }
}
