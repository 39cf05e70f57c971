package dev.slmops.tensor.ops;

import dev.slmops.tensor.matmul.VectorPath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Softmax over n floats in place, subtracting the maximum first so exp never overflows. */
public final class Softmax {
    private Softmax() {
    }

    private static final VectorSpecies<Float> F = VectorPath.F;

    /** x[off .. off + n) = exp(x - max) / sum(exp(x - max)). Entries of -Infinity (masked) become 0. */
    public static void apply(float[] x, int off, int n) {
        if (n <= 0) return;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("softmax over " + n + " values that are all -Infinity (everything masked)");
        }
        float sum = 0f;
        int i = 0;
        if (VectorPath.ENABLED) {
            FloatVector acc = FloatVector.zero(F);
            for (; i <= n - F.length(); i += F.length()) {
                FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, off + i).sub(max));
                e.intoArray(x, off + i);
                acc = acc.add(e);
            }
            sum = VectorMath.sum(acc);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (i = 0; i < n; i++) x[off + i] *= inv;
    }

    /** Naive double oracle. */
    public static float[] reference(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v);
        double sum = 0;
        double[] e = new double[x.length];
        for (int i = 0; i < x.length; i++) sum += e[i] = Math.exp(x[i] - max);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) (e[i] / sum);
        return out;
    }
}
