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
        int m = 0;
        if (VectorPath.ENABLED && n >= F.length()) {
            FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; m <= n - F.length(); m += F.length()) mv = FloatVector.fromArray(F, x, off + m).max(mv);
            max = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; m < n; m++) max = Math.max(max, x[off + m]);
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("softmax over " + n + " values that are all -Infinity (everything masked)");
        }
        int i = 0;
        float sum = 0f;
        if (VectorPath.ENABLED && n >= F.length()) {
            i = n - n % F.length();
            sum = expShiftedVector(x, off, i, max);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (i = 0; i < n; i++) x[off + i] *= inv;
    }

    /**
     * x[off .. off + n) = exp(x - max) for n a positive multiple of the vector length; returns their sum (lane sums
     * in {@link VectorMath#sum}'s tree). A method of its own so that its call of {@link VectorMath#exp} sits in a loop
     * that runs on every call: C2 inlines a 300-byte callee only at a call site its profile counts as frequent, and
     * inside {@link #apply} short rows (a decode step's first positions, a causal prefill's first rows) skip the
     * vector loop; once exp had been compiled on its own, C2 refused it there ("already compiled into a medium
     * method") and every call passed its vectors boxed: 9 GB of garbage over a 1024-token decode of smollm2-135m,
     * measured with JFR. The loop-carried vectors here and in {@link #apply} are arguments, never receivers, of the
     * vector operations: a receiver whose class C2 cannot prove (a loop phi) needs a type profile to be
     * devirtualized, and a method compiled from a thin profile then called the operations boxed too.
     */
    private static float expShiftedVector(float[] x, int off, int n, float max) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += F.length()) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, off + i).sub(max));
            e.intoArray(x, off + i);
            acc = e.add(acc);
        }
        return VectorMath.sum(acc);
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
