package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;

import java.lang.foreign.MemorySegment;

/**
 * The naive oracle of {@link PackedWeights#matmul}: dequantize W with the reference dequantizer, then a triple
 * loop accumulating in double. y[M, N] = x[M, K] . W[N, K]^T.
 */
public final class MatmulReference {
    private MatmulReference() {
    }

    /** Result of {@link #matmul}: the product and, per output, sum_k |x[m][k] * W[n][k]| (for error bounds). */
    public record Result(float[] y, double[] absSum) {
    }

    public static Result matmul(DType type, MemorySegment w, long offset, int n, int k, float[] x, int m) {
        float[] wf = new float[Math.multiplyExact(n, k)];
        Dequantize.toFloat(type, w, offset, wf, 0, wf.length);
        float[] y = new float[m * n];
        double[] abs = new double[m * n];
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < n; j++) {
                double s = 0, a = 0;
                for (int i = 0; i < k; i++) {
                    double p = (double) x[r * k + i] * wf[j * k + i];
                    s += p;
                    a += Math.abs(p);
                }
                y[r * n + j] = (float) s;
                abs[r * n + j] = a;
            }
        }
        return new Result(y, abs);
    }
}
