package dev.slmops.tensor.ops;

import dev.slmops.tensor.matmul.VectorPath;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Backward of {@link Attention#attend} for self-attention over one sequence's rows [r0, r1) (queries, keys and
 * values are the same rows; positions are row indices, only differences matter). The probabilities are recomputed
 * from q and k (flash-attention style), so the forward keeps nothing beyond q, k, v.
 *
 * <p>Per query t and head h, with visible keys j (causal, within the window), forward lines and their gradients:
 * <pre>
 *   s_j = scale * q.k_j ; z_j = cap tanh(s_j / cap) (or s_j) ; P = softmax(z) ; o = sum_j P_j v_j
 *   dv_j += P_j do
 *   dP_j  = do . v_j ;  dz_j = P_j (dP_j - sum_i P_i dP_i) ;  ds_j = dz_j (1 - (z_j / cap)^2) (or dz_j)
 *   dq   += scale * sum_j ds_j k_j ;  dk_j += scale * ds_j q
 * </pre>
 * Layouts as {@link Attention}: q, dq [rows][H][Dh]; k, v, dk, dv [rows][Hkv][Dh]; gradients accumulate (+=).
 * One task per query head; each keeps its own dk/dv for its rows, added into the shared ones per KV head after.
 */
public final class AttentionBackward {
    private AttentionBackward() {
    }

    private static final VectorSpecies<Float> F = VectorPath.F;

    public static void backward(Attention.Params p, int r0, int r1, float[] q, float[] k, float[] v, float[] dOut,
                                float[] dq, float[] dk, float[] dv, WorkerPool pool) {
        final int H = p.nHeads(), hd = p.headDim(), group = H / p.nKvHeads(), qRow = H * hd, kvRow = p.nKvHeads() * hd;
        final int n = r1 - r0;
        final float scale = p.scale(), cap = p.softCap();
        float[][] dkHead = new float[H][], dvHead = new float[H][];
        pool.parallelFor(H, h -> {
            int kvh = (h / group) * hd;
            float[] dkl = new float[n * hd], dvl = new float[n * hd];
            float[] z = new float[n], pr = new float[n], dz = new float[n]; // logits, probabilities, P dP of one query
            for (int t = r0; t < r1; t++) {
                int from = p.slidingWindow() > 0 ? Math.max(r0, t - p.slidingWindow() + 1) : r0;
                int qo = t * qRow + h * hd;
                // recompute the probabilities of this query
                float max = Float.NEGATIVE_INFINITY;
                for (int j = from; j <= t; j++) {
                    float s = dot(q, qo, k, j * kvRow + kvh, hd) * scale;
                    if (cap > 0) s = (float) (cap * Math.tanh(s / cap));
                    z[j - r0] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int j = from; j <= t; j++) sum += Math.exp(z[j - r0] - max);
                double dSum = 0;
                for (int j = from; j <= t; j++) {
                    float pj = (float) (Math.exp(z[j - r0] - max) / sum);
                    float dp = dot(dOut, qo, v, j * kvRow + kvh, hd);
                    axpy(pj, dOut, qo, dvl, (j - r0) * hd, hd);           // dv_j += P_j do
                    dz[j - r0] = pj * dp;                                  // P_j dP_j, the rest below
                    dSum += pj * dp;
                    pr[j - r0] = pj;
                }
                for (int j = from; j <= t; j++) {
                    double ds = dz[j - r0] - pr[j - r0] * dSum;           // P_j (dP_j - sum P dP)
                    if (cap > 0) {
                        float zj = z[j - r0];
                        ds *= 1 - (zj / cap) * (zj / cap);
                    }
                    float g = (float) (ds * scale);
                    axpy(g, k, j * kvRow + kvh, dq, qo, hd);                // dq += scale ds_j k_j
                    axpy(g, q, qo, dkl, (j - r0) * hd, hd);                 // dk_j += scale ds_j q
                }
            }
            dkHead[h] = dkl;
            dvHead[h] = dvl;
        });
        for (int h = 0; h < H; h++) {
            int kvh = (h / group) * hd;
            for (int r = 0; r < n; r++) {
                int o = (r0 + r) * kvRow + kvh;
                Activations.addInPlace(dk, o, dkHead[h], r * hd, hd);
                Activations.addInPlace(dv, o, dvHead[h], r * hd, hd);
            }
        }
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float s = 0f;
        if (VectorPath.ENABLED && n >= F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (; i <= n - F.length(); i += F.length()) {
                acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
            }
            s = VectorMath.sum(acc);
        }
        for (; i < n; i++) s = Math.fma(a[aOff + i], b[bOff + i], s);
        return s;
    }

    /** y[yOff + i] += alpha * x[xOff + i]. */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (VectorPath.ENABLED) {
            FloatVector a = FloatVector.broadcast(F, alpha);
            for (; i <= n - F.length(); i += F.length()) {
                FloatVector.fromArray(F, x, xOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
    }

    /**
     * Naive oracle of the forward over rows [r0, r1) in double (for finite-difference tests): out as
     * {@link Attention#attend} computes it.
     */
    public static double[] forwardReference(Attention.Params p, int r0, int r1, double[] q, double[] k, double[] v) {
        int H = p.nHeads(), hd = p.headDim(), group = H / p.nKvHeads(), qRow = H * hd, kvRow = p.nKvHeads() * hd;
        double[] out = new double[q.length];
        for (int t = r0; t < r1; t++) {
            for (int h = 0; h < H; h++) {
                int from = p.slidingWindow() > 0 ? Math.max(r0, t - p.slidingWindow() + 1) : r0;
                int qo = t * qRow + h * hd, kvh = (h / group) * hd;
                double[] z = new double[t - from + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = from; j <= t; j++) {
                    double s = 0;
                    for (int d = 0; d < hd; d++) s += q[qo + d] * k[j * kvRow + kvh + d];
                    s *= p.scale();
                    if (p.softCap() > 0) s = p.softCap() * Math.tanh(s / p.softCap());
                    z[j - from] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int j = 0; j < z.length; j++) sum += z[j] = Math.exp(z[j] - max);
                for (int j = from; j <= t; j++) {
                    for (int d = 0; d < hd; d++) out[qo + d] += z[j - from] / sum * v[j * kvRow + kvh + d];
                }
            }
        }
        return out;
    }
}
