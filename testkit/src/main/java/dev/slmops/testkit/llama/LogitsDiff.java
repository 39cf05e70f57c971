package dev.slmops.testkit.llama;

/**
 * The worst disagreement between two [nTokens][nVocab] logit tables, for engine-parity tests against
 * {@link LlamaCpp.Context#logitsAll}. Each row is judged relative to its own scale, {@code max(1, max|ref|)},
 * so a tolerance means the same thing for rows of small and large logits.
 *
 * @param position  row (token position) of the worst relative difference
 * @param token     vocabulary id at which it occurs
 * @param ours      our logit there
 * @param reference the reference logit there
 * @param absDiff   |ours - reference| there
 * @param relDiff   absDiff / max(1, max |reference row|): the number to hold against a tolerance
 */
public record LogitsDiff(int position, int token, float ours, float reference, double absDiff, double relDiff) {

    /** Compares {@code ours} with {@code reference}; shapes must match. NaN anywhere counts as infinitely wrong. */
    public static LogitsDiff of(float[][] ours, float[][] reference) {
        if (ours.length != reference.length) {
            throw new IllegalArgumentException("ours has " + ours.length + " positions, reference " + reference.length);
        }
        LogitsDiff worst = new LogitsDiff(-1, -1, 0, 0, 0, 0);
        for (int i = 0; i < ours.length; i++) {
            float[] a = ours[i], r = reference[i];
            if (a.length != r.length) {
                throw new IllegalArgumentException("position " + i + ": ours has " + a.length + " logits, reference "
                        + r.length);
            }
            double scale = 1;
            for (float v : r) scale = Math.max(scale, Math.abs(v));
            for (int v = 0; v < a.length; v++) {
                double d = Math.abs((double) a[v] - r[v]);
                if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
                double rel = d / scale;
                if (rel > worst.relDiff || worst.position < 0) worst = new LogitsDiff(i, v, a[v], r[v], d, rel);
            }
        }
        return worst;
    }

    public boolean within(double relTolerance) {
        return relDiff <= relTolerance;
    }

    /** Throws an {@link AssertionError} naming the worst position and token when not {@link #within}. */
    public LogitsDiff assertWithin(double relTolerance) {
        if (!within(relTolerance)) throw new AssertionError("logits differ beyond " + relTolerance + ": " + this);
        return this;
    }

    @Override
    public String toString() {
        return String.format("worst at position %d token %d: ours %.6g vs reference %.6g (|diff| %.3g, relative %.3g)",
                position, token, ours, reference, absDiff, relDiff);
    }
}
