package dev.slmops.tensor.ops;

import dev.slmops.tensor.matmul.VectorPath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * RMSNorm over one row of n floats: out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i], or * (1 + w[i]) in Gemma's
 * variant (its checkpoints store w - 1). The mean of squares is accumulated in float lanes; {@link #reference}
 * uses double.
 */
public final class RmsNorm {
    private RmsNorm() {
    }

    private static final VectorSpecies<Float> F = VectorPath.F;

    /**
     * out[outOff + i] = x[xOff + i] * rsqrt(mean(x^2) + eps) * (onePlusWeight ? 1 + w[i] : w[i]), i < n.
     * {@code out} may be {@code x} (in place).
     */
    public static void apply(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps, boolean onePlusWeight) {
        float scale = VectorPath.ENABLED ? invRmsVector(x, xOff, n, eps) : invRmsScalar(x, xOff, n, eps);
        int i = 0;
        if (VectorPath.ENABLED) {
            FloatVector s = FloatVector.broadcast(F, scale);
            for (; i <= n - F.length(); i += F.length()) {
                FloatVector wv = FloatVector.fromArray(F, w, i);
                if (onePlusWeight) wv = wv.add(1f);
                FloatVector.fromArray(F, x, xOff + i).mul(s).mul(wv).intoArray(out, outOff + i);
            }
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * scale * (onePlusWeight ? 1f + w[i] : w[i]);
    }

    static float invRmsScalar(float[] x, int off, int n, float eps) {
        float ss = 0f;
        for (int i = 0; i < n; i++) ss = Math.fma(x[off + i], x[off + i], ss);
        return (float) (1.0 / Math.sqrt(ss / n + eps));
    }

    static float invRmsVector(float[] x, int off, int n, float eps) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - F.length(); i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            acc = v.fma(v, acc);
        }
        float ss = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) ss = Math.fma(x[off + i], x[off + i], ss);
        return (float) (1.0 / Math.sqrt(ss / n + eps));
    }

    /** Naive double-precision oracle of {@link #apply}. */
    public static float[] reference(float[] x, float[] w, float eps, boolean onePlusWeight) {
        double ss = 0;
        for (float v : x) ss += (double) v * v;
        double inv = 1.0 / Math.sqrt(ss / x.length + eps);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) (x[i] * inv * (onePlusWeight ? 1.0 + w[i] : w[i]));
        return out;
    }
}
