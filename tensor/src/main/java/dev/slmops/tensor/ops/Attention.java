package dev.slmops.tensor.ops;

import dev.slmops.tensor.matmul.Gemm;
import dev.slmops.tensor.matmul.VectorPath;
import dev.slmops.tensor.parallel.ThreadScratch;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention of a block of queries over a range of cached keys/values, with grouped-query
 * heads, a causal mask, an optional sliding window and optional logit soft-capping.
 *
 * <p>Layouts (floats, row-major):
 * <pre>
 *   q   [nQuery][nHeads][headDim]        query i sits at absolute position firstQueryPos + i
 *   k,v [positions][nKvHeads][headDim]   row p holds absolute position p; rows kvStart..kvEnd-1 are read
 *   out [nQuery][nHeads][headDim]
 * </pre>
 * Head h reads KV head h / (nHeads / nKvHeads). Key p is visible to a query at position t when p <= t
 * (causal) and, with a window w > 0, t - p < w. logit = scale * (q . k); with softCap c > 0,
 * logit = c * tanh(logit / c) (Gemma 2); then softmax over the visible keys, out = sum_p weight_p * v_p.
 */
public final class Attention {
    private Attention() {
    }

    private static final VectorSpecies<Float> F = VectorPath.F;

    /**
     * Shape and options.
     *
     * @param scale         multiplier of q.k, usually 1/sqrt(headDim)
     * @param slidingWindow 0 for none, else keys with t - p >= window are masked
     * @param softCap       0 for none, else logits are soft-capped to (-softCap, softCap)
     */
    public record Params(int nHeads, int nKvHeads, int headDim, float scale, int slidingWindow, float softCap) {
        public Params {
            if (nHeads <= 0 || nKvHeads <= 0 || nHeads % nKvHeads != 0) {
                throw new IllegalArgumentException("query heads (" + nHeads + ") must be a positive multiple of KV heads (" + nKvHeads + ")");
            }
            if (headDim <= 0) throw new IllegalArgumentException("head dim must be positive, got " + headDim);
        }

        public static Params of(int nHeads, int nKvHeads, int headDim) {
            return new Params(nHeads, nKvHeads, headDim, (float) (1 / Math.sqrt(headDim)), 0, 0f);
        }
    }

    /** Computes {@code out} for nQuery queries over keys [kvStart, kvEnd); one task per (query, head) on the pool. */
    public static void attend(Params p, float[] q, int qOff, int nQuery, int firstQueryPos,
                              float[] k, float[] v, int kvStart, int kvEnd, float[] out, int outOff, WorkerPool pool) {
        int hd = p.headDim(), group = p.nHeads() / p.nKvHeads(), kvRow = p.nKvHeads() * hd;
        if ((long) kvEnd * kvRow > k.length || (long) kvEnd * kvRow > v.length) {
            throw new IndexOutOfBoundsException("KV cache holds fewer than " + kvEnd + " positions of " + kvRow + " floats");
        }
        if (nQuery > 1 && VectorPath.ENABLED) {
            attendBlock(p, q, qOff, nQuery, firstQueryPos, k, v, kvStart, kvEnd, out, outOff, pool);
            return;
        }
        float[][] kPage = {k}, vPage = {v}; // the whole cache as one page
        pool.parallelFor(nQuery * p.nHeads(), task -> {
            int i = task / p.nHeads(), h = task % p.nHeads();
            int t = firstQueryPos + i;
            int from = kvStart;
            if (p.slidingWindow() > 0) from = Math.max(from, t - p.slidingWindow() + 1);
            int to = Math.min(kvEnd, t + 1);
            int qo = qOff + (i * p.nHeads() + h) * hd, oo = outOff + (i * p.nHeads() + h) * hd;
            int kvHead = (h / group) * hd;
            if (to <= from) throw new IllegalArgumentException("query at position " + t + " sees no key in [" + kvStart + ", " + kvEnd + ")");
            DecodeHead.attend(q, qo, kPage, vPage, Integer.MAX_VALUE, kvRow, kvHead, hd, from, to,
                    p.scale(), p.softCap(), out, oo);
        });
    }

    /** Query rows per prefill task: a multiple of the GEMM's 6-row register block. */
    static final int QUERY_BLOCK = 48;

    /** Keys transposed per KV head, [nKvHeads][headDim][positions], of the calling thread (grown on demand). */
    private static final ThreadScratch KEYS_T = new ThreadScratch();

    /** Logits/weights tile [QUERY_BLOCK][positions] of each thread running prefill tasks (grown on demand). */
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * The same for several queries (prefill) as two GEMMs per (head, block of {@link #QUERY_BLOCK} queries), the
     * way FlashAttention-style kernels tile it but with the whole key range of the block at once:
     * <pre>
     *   S[rows, nPos]  = Q_h[rows, hd] . K_g^T[hd, lo:hi]      (Gemm.ab; q rows strided by nHeads*hd; K_g^T is
     *                                                          transposed once per call, so tasks copy B rows only)
     *   P              = softmax(scale * S) per row over its visible keys, 0 elsewhere
     *   O_h[rows, hd]  = P[rows, nPos] . V_g[lo:hi, hd]          (Gemm.ab; written in place, strided by nHeads*hd)
     * </pre>
     * [lo, hi) is the union of the block's visible keys (causal: up to its last query), so the masked upper triangle
     * costs at most a block's width per row. Tasks run latest blocks first (they see the most keys) so the dynamic
     * claiming ends balanced; the GEMMs inside a task run on its thread (pool loops do not nest).
     */
    private static void attendBlock(Params p, float[] q, int qOff, int nQuery, int firstQueryPos, float[] k,
                                    float[] v, int kvStart, int kvEnd, float[] out, int outOff, WorkerPool pool) {
        final int hd = p.headDim(), heads = p.nHeads(), group = heads / p.nKvHeads(), kvRow = p.nKvHeads() * hd;
        final int qRow = heads * hd, blocks = (nQuery + QUERY_BLOCK - 1) / QUERY_BLOCK, window = p.slidingWindow();
        final int nAll = kvEnd - kvStart;
        float[] ktBuf = KEYS_T.atLeast(p.nKvHeads() * hd * nAll);
        final float[] kt = ktBuf;
        pool.parallelFor(p.nKvHeads(), g -> { // kt[g][d][j] = k[(kvStart + j) * kvRow + g * hd + d]
            int base = g * hd * nAll;
            for (int j = 0; j < nAll; j++) {
                int src = (kvStart + j) * kvRow + g * hd;
                for (int d = 0; d < hd; d++) kt[base + d * nAll + j] = k[src + d];
            }
        });
        pool.parallelFor(blocks * heads, task -> {
            int blk = blocks - 1 - task / heads, h = task % heads, g = h / group;
            int i0 = blk * QUERY_BLOCK, rows = Math.min(QUERY_BLOCK, nQuery - i0);
            int tFirst = firstQueryPos + i0, tLast = tFirst + rows - 1;
            int lo = window > 0 ? Math.max(kvStart, tFirst - window + 1) : kvStart, hi = Math.min(kvEnd, tLast + 1);
            if (hi <= lo) throw new IllegalArgumentException("query at position " + tFirst + " sees no key in [" + kvStart + ", " + kvEnd + ")");
            int nPos = hi - lo;
            float[] s = SCORES.get();
            if (s.length < rows * nPos) {
                s = new float[QUERY_BLOCK * Math.max(nPos, 2 * s.length / QUERY_BLOCK)];
                SCORES.set(s);
            }
            int qo = qOff + i0 * qRow + h * hd;
            Gemm.ab(rows, nPos, hd, q, qo, qRow, kt, g * hd * nAll + lo - kvStart, nAll, s, 0, nPos, false, pool);
            for (int r = 0; r < rows; r++) {
                int t = tFirst + r, row = r * nPos;
                int from = kvStart;
                if (window > 0) from = Math.max(from, t - window + 1);
                int to = Math.min(kvEnd, t + 1);
                if (to <= from) throw new IllegalArgumentException("query at position " + t + " sees no key in [" + kvStart + ", " + kvEnd + ")");
                int a = row + from - lo, b = row + to - lo;
                java.util.Arrays.fill(s, row, a, 0f);
                for (int j = a; j < b; j++) {
                    float logit = s[j] * p.scale();
                    if (p.softCap() > 0) logit = (float) (p.softCap() * Math.tanh(logit / p.softCap()));
                    s[j] = logit;
                }
                Softmax.apply(s, a, b - a);
                java.util.Arrays.fill(s, b, row + nPos, 0f);
            }
            Gemm.ab(rows, hd, nPos, s, 0, nPos, v, lo * kvRow + g * hd, kvRow, out, outOff + i0 * qRow + h * hd, qRow, false, pool);
        });
    }

    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float s = 0f;
        if (VectorPath.ENABLED) {
            FloatVector acc = FloatVector.zero(F);
            for (; i <= n - F.length(); i += F.length()) {
                acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
            }
            s = VectorMath.sum(acc);
        }
        for (; i < n; i++) s = Math.fma(a[ao + i], b[bo + i], s);
        return s;
    }

    /** y[yo + i] += a * x[xo + i]. */
    static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (VectorPath.ENABLED) {
            FloatVector av = FloatVector.broadcast(F, a);
            for (; i <= n - F.length(); i += F.length()) {
                FloatVector.fromArray(F, x, xo + i).fma(av, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) y[yo + i] = Math.fma(a, x[xo + i], y[yo + i]);
    }

    /** Naive double oracle of {@link #attend} (same layouts; returns out [nQuery][nHeads][headDim]). */
    public static float[] reference(Params p, float[] q, int nQuery, int firstQueryPos, float[] k, float[] v, int kvStart, int kvEnd) {
        int hd = p.headDim(), group = p.nHeads() / p.nKvHeads(), kvRow = p.nKvHeads() * hd;
        float[] out = new float[nQuery * p.nHeads() * hd];
        for (int i = 0; i < nQuery; i++) {
            int t = firstQueryPos + i;
            for (int h = 0; h < p.nHeads(); h++) {
                int qo = (i * p.nHeads() + h) * hd, kvHead = (h / group) * hd;
                double[] logits = new double[kvEnd - kvStart];
                double max = Double.NEGATIVE_INFINITY;
                for (int pos = kvStart; pos < kvEnd; pos++) {
                    boolean visible = pos <= t && (p.slidingWindow() <= 0 || t - pos < p.slidingWindow());
                    double s = 0;
                    for (int d = 0; d < hd; d++) s += (double) q[qo + d] * k[pos * kvRow + kvHead + d];
                    s *= p.scale();
                    if (p.softCap() > 0) s = p.softCap() * Math.tanh(s / p.softCap());
                    logits[pos - kvStart] = visible ? s : Double.NEGATIVE_INFINITY;
                    max = Math.max(max, logits[pos - kvStart]);
                }
                double sum = 0;
                for (int j = 0; j < logits.length; j++) sum += logits[j] = Math.exp(logits[j] - max);
                for (int d = 0; d < hd; d++) {
                    double acc = 0;
                    for (int pos = kvStart; pos < kvEnd; pos++) acc += logits[pos - kvStart] / sum * v[pos * kvRow + kvHead + d];
                    out[qo + d] = (float) acc;
                }
            }
        }
        return out;
    }
}
