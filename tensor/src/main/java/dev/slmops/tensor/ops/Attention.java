package dev.slmops.tensor.ops;

import dev.slmops.tensor.matmul.VectorPath;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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
        pool.parallelFor(nQuery * p.nHeads(), task -> {
            int i = task / p.nHeads(), h = task % p.nHeads();
            int t = firstQueryPos + i;
            int from = kvStart;
            if (p.slidingWindow() > 0) from = Math.max(from, t - p.slidingWindow() + 1);
            int to = Math.min(kvEnd, t + 1);
            int qo = qOff + (i * p.nHeads() + h) * hd, oo = outOff + (i * p.nHeads() + h) * hd;
            int kvHead = (h / group) * hd;
            if (to <= from) throw new IllegalArgumentException("query at position " + t + " sees no key in [" + kvStart + ", " + kvEnd + ")");
            float[] w = new float[to - from];
            for (int pos = from; pos < to; pos++) {
                float logit = dot(q, qo, k, pos * kvRow + kvHead, hd) * p.scale();
                if (p.softCap() > 0) logit = (float) (p.softCap() * Math.tanh(logit / p.softCap()));
                w[pos - from] = logit;
            }
            Softmax.apply(w, 0, w.length);
            java.util.Arrays.fill(out, oo, oo + hd, 0f);
            for (int pos = from; pos < to; pos++) axpy(w[pos - from], v, pos * kvRow + kvHead, out, oo, hd);
        });
    }

    /**
     * The same for several queries (prefill), with the keys transposed once per KV head so that logits come L
     * positions at a time with no horizontal sums, and each output row accumulates in registers over the positions
     * (a dot product and an axpy per (query, position) cost ~10x more in reductions and stores).
     *
     * <pre>  kt [nKvHeads][headDim][nPos padded to L]   kt[g][d][j] = k[(kvStart + j) * kvRow + g * headDim + d]</pre>
     */
    private static void attendBlock(Params p, float[] q, int qOff, int nQuery, int firstQueryPos, float[] k,
                                    float[] v, int kvStart, int kvEnd, float[] out, int outOff, WorkerPool pool) {
        final int hd = p.headDim(), group = p.nHeads() / p.nKvHeads(), kvRow = p.nKvHeads() * hd, L = F.length();
        final int nPos = kvEnd - kvStart, stride = (nPos + L - 1) / L * L;
        float[] kt = new float[p.nKvHeads() * hd * stride];
        pool.parallelFor(p.nKvHeads(), g -> {
            int base = g * hd * stride;
            for (int j = 0; j < nPos; j++) {
                int src = (kvStart + j) * kvRow + g * hd;
                for (int d = 0; d < hd; d++) kt[base + d * stride + j] = k[src + d];
            }
        });
        pool.parallelFor(nQuery * p.nHeads(), task -> {
            int i = task / p.nHeads(), h = task % p.nHeads();
            int t = firstQueryPos + i;
            int from = kvStart;
            if (p.slidingWindow() > 0) from = Math.max(from, t - p.slidingWindow() + 1);
            int to = Math.min(kvEnd, t + 1);
            if (to <= from) throw new IllegalArgumentException("query at position " + t + " sees no key in [" + kvStart + ", " + kvEnd + ")");
            int qo = qOff + (i * p.nHeads() + h) * hd, oo = outOff + (i * p.nHeads() + h) * hd;
            int g = h / group;
            // logits of positions [j0, j1) relative to kvStart, whole vectors (the padding holds zeros)
            int j0 = (from - kvStart) / L * L, j1 = Math.min(stride, (to - kvStart + L - 1) / L * L);
            float[] w = new float[j1 - j0];
            logitsTransposed(q, qo, kt, g * hd * stride, stride, hd, j0, j1, w);
            int lo = from - kvStart - j0, n = to - from;
            for (int j = lo; j < lo + n; j++) {
                float logit = w[j] * p.scale();
                if (p.softCap() > 0) logit = (float) (p.softCap() * Math.tanh(logit / p.softCap()));
                w[j] = logit;
            }
            Softmax.apply(w, lo, n);
            weightedRows(w, lo, n, v, from * kvRow + g * hd, kvRow, hd, out, oo);
        });
    }

    /** w[j - j0] = q[qo..qo+hd) . kt[ko + d*stride + j] over d, for j in [j0, j1) (multiples of L). */
    static void logitsTransposed(float[] q, int qo, float[] kt, int ko, int stride, int hd, int j0, int j1, float[] w) {
        final int L = F.length();
        int j = j0;
        for (; j + 4 * L <= j1; j += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0, o = ko + j; d < hd; d++, o += stride) {
                FloatVector qd = FloatVector.broadcast(F, q[qo + d]);
                a0 = FloatVector.fromArray(F, kt, o).fma(qd, a0);
                a1 = FloatVector.fromArray(F, kt, o + L).fma(qd, a1);
                a2 = FloatVector.fromArray(F, kt, o + 2 * L).fma(qd, a2);
                a3 = FloatVector.fromArray(F, kt, o + 3 * L).fma(qd, a3);
            }
            a0.intoArray(w, j - j0); a1.intoArray(w, j - j0 + L); a2.intoArray(w, j - j0 + 2 * L); a3.intoArray(w, j - j0 + 3 * L);
        }
        for (; j < j1; j += L) {
            FloatVector a0 = FloatVector.zero(F);
            for (int d = 0, o = ko + j; d < hd; d++, o += stride) {
                a0 = FloatVector.fromArray(F, kt, o).fma(FloatVector.broadcast(F, q[qo + d]), a0);
            }
            a0.intoArray(w, j - j0);
        }
    }

    /** out[oo..oo+hd) = sum_{j<n} w[wo + j] * v[vo + j*vStride ..+hd): 4 (then 1) vectors of outputs in registers. */
    static void weightedRows(float[] w, int wo, int n, float[] v, int vo, int vStride, int hd, float[] out, int oo) {
        final int L = F.length();
        int d = 0;
        for (; d + 4 * L <= hd; d += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0, o = vo + d; j < n; j++, o += vStride) {
                FloatVector wj = FloatVector.broadcast(F, w[wo + j]);
                a0 = FloatVector.fromArray(F, v, o).fma(wj, a0);
                a1 = FloatVector.fromArray(F, v, o + L).fma(wj, a1);
                a2 = FloatVector.fromArray(F, v, o + 2 * L).fma(wj, a2);
                a3 = FloatVector.fromArray(F, v, o + 3 * L).fma(wj, a3);
            }
            a0.intoArray(out, oo + d); a1.intoArray(out, oo + d + L); a2.intoArray(out, oo + d + 2 * L); a3.intoArray(out, oo + d + 3 * L);
        }
        for (; d + L <= hd; d += L) {
            FloatVector a0 = FloatVector.zero(F);
            for (int j = 0, o = vo + d; j < n; j++, o += vStride) {
                a0 = FloatVector.fromArray(F, v, o).fma(FloatVector.broadcast(F, w[wo + j]), a0);
            }
            a0.intoArray(out, oo + d);
        }
        for (; d < hd; d++) {
            float s = 0f;
            for (int j = 0; j < n; j++) s = Math.fma(w[wo + j], v[vo + j * vStride + d], s);
            out[oo + d] = s;
        }
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
