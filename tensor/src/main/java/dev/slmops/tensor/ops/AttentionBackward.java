package dev.slmops.tensor.ops;

import dev.slmops.tensor.matmul.Gemm;
import dev.slmops.tensor.matmul.VectorPath;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
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
 * Tasks (per query head, or per head and half of its query blocks) keep their own dk/dv for the rows, added into
 * the shared ones per KV head after.
 */
public final class AttentionBackward {
    private AttentionBackward() {
    }

    private static final VectorSpecies<Float> F = VectorPath.F;

    /** Query rows per GEMM block of {@link #backward} (a multiple of the GEMM's 6-row register block). */
    static final int QUERY_BLOCK = 48;

    /**
     * Accumulates dq, dk, dv. With the vector path on, per query head and block of {@link #QUERY_BLOCK} queries
     * against the keys the block sees ([lo, hi)), as five GEMMs:
     * <pre>
     *   S  = Q_b K^T,  dP = dO_b V^T                      [rows, nPos]   (Gemm.abT)
     *   P  = softmax(z(scale S)) per row, 0 where masked ; dS = scale P (dP - rowsum(P dP)) z'(.)
     *   dV[lo:hi] += P^T dO_b ;  dK[lo:hi] += dS^T Q_b      [nPos, hd]     (Gemm.aTb, into the head's own buffers)
     *   dQ_b      += dS K                                   [rows, hd]     (Gemm.ab, the head's own columns of dq)
     * </pre>
     * Otherwise {@link #backwardRows}, one query and one key at a time (the readable twin).
     */
    public static void backward(Attention.Params p, int r0, int r1, float[] q, float[] k, float[] v, float[] dOut,
                                float[] dq, float[] dk, float[] dv, WorkerPool pool) {
        if (VectorPath.ENABLED) {
            backwardBlocked(p, r0, r1, q, k, v, dOut, dq, dk, dv, pool);
        } else {
            backwardRows(p, r0, r1, q, k, v, dOut, dq, dk, dv, pool);
        }
    }

    static void backwardBlocked(Attention.Params p, int r0, int r1, float[] q, float[] k, float[] v, float[] dOut,
                                float[] dq, float[] dk, float[] dv, WorkerPool pool) {
        final int H = p.nHeads(), hd = p.headDim(), group = H / p.nKvHeads(), qRow = H * hd, kvRow = p.nKvHeads() * hd;
        final int n = r1 - r0, window = p.slidingWindow();
        final float scale = p.scale(), cap = p.softCap();
        // Two tasks per head (H is often odd, e.g. 9, and a task per head leaves a thread idle at the end): the
        // query blocks split where the causal cost (block b sees ~b+1 blocks of keys) halves, at ~blocks/sqrt(2).
        final int blocks = (n + QUERY_BLOCK - 1) / QUERY_BLOCK, parts = blocks > 1 ? 2 : 1;
        final int split = Math.max(1, Math.min(blocks - 1, (int) Math.round(blocks / Math.sqrt(2))));
        float[][] dkHead = new float[H * parts][], dvHead = new float[H * parts][];
        // K and V of each KV head transposed once, [Hkv][hd][n], so the blocks' S and dP products read B rows as they
        // are instead of each block transposing the keys it sees again (a block of 48 queries reuses them 48 times)
        final float[] kt = new float[p.nKvHeads() * hd * n], vt = new float[p.nKvHeads() * hd * n];
        pool.parallelFor(p.nKvHeads(), g -> {
            int base = g * hd * n;
            for (int j = 0; j < n; j++) {
                int src = (r0 + j) * kvRow + g * hd;
                for (int d = 0; d < hd; d++) {
                    kt[base + d * n + j] = k[src + d];
                    vt[base + d * n + j] = v[src + d];
                }
            }
        });
        pool.parallelFor(H * parts, task -> {
            int h = task / parts, part = task % parts;
            int bFrom = parts == 1 ? 0 : part == 0 ? split : 0, bTo = parts == 1 ? blocks : part == 0 ? blocks : split;
            int kvh = (h / group) * hd;
            float[] dkl = new float[n * hd], dvl = new float[n * hd];      // [n][hd] of this task, rows r0..
            int width = Math.min(n, window > 0 ? QUERY_BLOCK + window - 1 : n);
            float[] sp = new float[QUERY_BLOCK * width];                      // S, then P   [rows][nPos]
            float[] dps = new float[QUERY_BLOCK * width];                     // dP, then dS [rows][nPos]
            float[] z = new float[width];                                     // capped logits of one row
            for (int i0 = bFrom * QUERY_BLOCK; i0 < Math.min(n, bTo * QUERY_BLOCK); i0 += QUERY_BLOCK) {
                int rows = Math.min(QUERY_BLOCK, n - i0), tFirst = r0 + i0, tLast = tFirst + rows - 1;
                int lo = window > 0 ? Math.max(r0, tFirst - window + 1) : r0, hi = tLast + 1, nPos = hi - lo;
                int qo = tFirst * qRow + h * hd, ko = lo * kvRow + kvh;
                int to = (h / group) * hd * n + lo - r0;                           // K^T, V^T [hd][lo:hi]
                Gemm.ab(rows, nPos, hd, q, qo, qRow, kt, to, n, sp, 0, nPos, false, pool);
                Gemm.ab(rows, nPos, hd, dOut, qo, qRow, vt, to, n, dps, 0, nPos, false, pool);
                for (int r = 0; r < rows; r++) {
                    int t = tFirst + r, row = r * nPos;
                    int from = window > 0 ? Math.max(r0, t - window + 1) : r0;
                    int a = row + from - lo, b = row + t + 1 - lo, len = b - a;
                    if (cap > 0) {
                        for (int j = 0; j < len; j++) {
                            float sj = (float) (cap * Math.tanh(sp[a + j] * scale / cap));
                            z[j] = sj;
                            sp[a + j] = sj;
                        }
                    } else {
                        scale(sp, a, len, scale);
                    }
                    Softmax.apply(sp, a, len);
                    float dSum = dot(sp, a, dps, a, len);                          // sum_i P_i dP_i
                    if (cap > 0) {
                        for (int j = 0; j < len; j++) {
                            float ds = sp[a + j] * (dps[a + j] - dSum) * (1 - (z[j] / cap) * (z[j] / cap));
                            dps[a + j] = ds * scale;
                        }
                    } else {
                        softmaxGrad(sp, dps, a, len, dSum, scale);
                    }
                    java.util.Arrays.fill(sp, row, a, 0f);
                    java.util.Arrays.fill(dps, row, a, 0f);
                    java.util.Arrays.fill(sp, b, row + nPos, 0f);
                    java.util.Arrays.fill(dps, b, row + nPos, 0f);
                }
                int kvo = (lo - r0) * hd;
                Gemm.aTb(nPos, hd, rows, sp, 0, nPos, dOut, qo, qRow, dvl, kvo, hd, true, pool);  // dV += P^T dO
                Gemm.aTb(nPos, hd, rows, dps, 0, nPos, q, qo, qRow, dkl, kvo, hd, true, pool);   // dK += dS^T Q
                Gemm.ab(rows, hd, nPos, dps, 0, nPos, k, ko, kvRow, dq, qo, qRow, true, pool);    // dQ += dS K
            }
            dkHead[task] = dkl;
            dvHead[task] = dvl;
        });
        addHeads(p, r0, n, dkHead, dvHead, dk, dv);
    }

    /** x[off + j] *= alpha for j < n. */
    static void scale(float[] x, int off, int n, float alpha) {
        int j = 0;
        for (; j <= n - F.length(); j += F.length()) FloatVector.fromArray(F, x, off + j).mul(alpha).intoArray(x, off + j);
        for (; j < n; j++) x[off + j] *= alpha;
    }

    /** dS_j = scale * P_j (dP_j - dSum) over [off, off + n), in place of dP (the lanes and the tail compute alike). */
    static void softmaxGrad(float[] pr, float[] dp, int off, int n, float dSum, float scale) {
        int j = 0;
        for (; j <= n - F.length(); j += F.length()) {
            FloatVector pv = FloatVector.fromArray(F, pr, off + j);
            FloatVector.fromArray(F, dp, off + j).sub(dSum).mul(pv).mul(scale).intoArray(dp, off + j);
        }
        for (; j < n; j++) dp[off + j] = (dp[off + j] - dSum) * pr[off + j] * scale;
    }

    /** dk, dv += the per-task buffers; buffer i belongs to query head i / (buffers / H). */
    private static void addHeads(Attention.Params p, int r0, int n, float[][] dkHead, float[][] dvHead, float[] dk, float[] dv) {
        final int H = p.nHeads(), hd = p.headDim(), group = H / p.nKvHeads(), kvRow = p.nKvHeads() * hd;
        final int perHead = dkHead.length / H;
        for (int i = 0; i < dkHead.length; i++) {
            int h = i / perHead, kvh = (h / group) * hd;
            for (int r = 0; r < n; r++) {
                int o = (r0 + r) * kvRow + kvh;
                Activations.addInPlace(dk, o, dkHead[i], r * hd, hd);
                Activations.addInPlace(dv, o, dvHead[i], r * hd, hd);
            }
        }
    }

    /** {@link #backward} one query and one key at a time: dot products and axpys, probabilities in double. */
    static void backwardRows(Attention.Params p, int r0, int r1, float[] q, float[] k, float[] v, float[] dOut,
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
        addHeads(p, r0, n, dkHead, dvHead, dk, dv);
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
