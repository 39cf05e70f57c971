package dev.slmops.train.optim;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gradient clipping by global L2 norm, as {@code torch.nn.utils.clip_grad_norm_}: the norm over all gradients
 * together; when it exceeds {@code maxNorm} every gradient is scaled by {@code maxNorm / (norm + 1e-6)}.
 */
public final class GradClip {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private GradClip() {
    }

    /**
     * Scales {@code grads} in place so their global norm is at most {@code maxNorm} and returns the norm before
     * clipping (what HF logs as grad_norm). {@code maxNorm <= 0} or infinite turns clipping off (the norm is still
     * returned).
     */
    public static double clip(float[] grads, double maxNorm) {
        double norm = globalNorm(grads);
        if (maxNorm > 0 && Double.isFinite(maxNorm)) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) scale(grads, (float) coef);
        }
        return norm;
    }

    /** sqrt(sum g^2), accumulated per vector lane in double blocks so long buffers keep their precision. */
    public static double globalNorm(float[] g) {
        double total = 0;
        int block = 1 << 12; // floats summed in float lanes before the partial sum goes to double
        for (int start = 0; start < g.length; start += block) {
            int end = Math.min(g.length, start + block);
            int i = start;
            FloatVector acc = FloatVector.zero(S);
            for (int bound = start + S.loopBound(end - start); i < bound; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, g, i);
                acc = v.fma(v, acc);
            }
            double partial = acc.reduceLanes(VectorOperators.ADD);
            for (; i < end; i++) partial += (double) g[i] * g[i];
            total += partial;
        }
        return Math.sqrt(total);
    }

    /** The naive reference: every square summed in double. */
    public static double globalNormReference(float[] g) {
        double total = 0;
        for (float x : g) total += (double) x * x;
        return Math.sqrt(total);
    }

    /** g *= factor over the whole buffer (also how accumulated gradients are divided by their token count). */
    public static void scale(float[] g, float factor) {
        int i = 0;
        for (int bound = S.loopBound(g.length); i < bound; i += S.length()) {
            FloatVector.fromArray(S, g, i).mul(factor).intoArray(g, i);
        }
        for (; i < g.length; i++) g[i] *= factor;
    }
}
