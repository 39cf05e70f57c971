package dev.slmops.tensor.ops;

import dev.slmops.tensor.matmul.VectorPath;
import jdk.incubator.vector.FloatVector;
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
        float ss = VectorMath.sum(acc);
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
    /**
     * Backward of {@link #apply} for one row, accumulating: with r = rsqrt(mean(x^2) + eps), g = w (or 1 + w) and
     * forward y[i] = x[i] r g[i],
     * <pre>
     *   dw[i] += dy[i] x[i] r
     *   dx[i] += r g[i] dy[i] - x[i] r^3 / n * sum_j dy[j] g[j] x[j]
     * </pre>
     * {@code x} is the forward's input (not its output: an in-place forward must keep a copy); {@code dw} may be null
     * (a frozen weight). Sums in double.
     */
    public static void backward(float[] dx, int dxOff, float[] dw, int dwOff, float[] dy, int dyOff,
                                float[] x, int xOff, float[] w, int n, float eps, boolean onePlusWeight) {
        double ss = 0, dot = 0;
        for (int i = 0; i < n; i++) {
            double xi = x[xOff + i];
            ss += xi * xi;
            dot += dy[dyOff + i] * (onePlusWeight ? 1.0 + w[i] : w[i]) * xi;
        }
        double r = 1.0 / Math.sqrt(ss / n + eps);
        double c = r * r * r / n * dot;
        for (int i = 0; i < n; i++) {
            double xi = x[xOff + i], g = onePlusWeight ? 1.0 + w[i] : w[i];
            if (dw != null) dw[dwOff + i] += (float) (dy[dyOff + i] * xi * r);
            dx[dxOff + i] += (float) (r * g * dy[dyOff + i] - xi * c);
        }
    }
}
