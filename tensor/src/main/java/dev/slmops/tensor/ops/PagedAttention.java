package dev.slmops.tensor.ops;

import dev.slmops.tensor.matmul.VectorPath;
import dev.slmops.tensor.parallel.ThreadScratch;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Attention} over keys and values stored in pages (a KV cache that grows a page at a time):
 *
 * <pre>
 *   kPages[p], vPages[p]   [pageRows][nKvHeads][headDim]   row r of page p holds absolute position p * pageRows + r
 * </pre>
 * Everything else (query/output layouts, masking, soft-capping) is {@link Attention}'s. When the positions read fit
 * one page, that page is handed to {@link Attention#attend} as it is. A single query (decode) walks the pages in
 * place; several queries (prefill, compute-bound) gather the pages into one contiguous block first and use
 * Attention's blocked kernel.
 */
public final class PagedAttention {
    private static final VectorSpecies<Float> F = VectorPath.F;

    private PagedAttention() {
    }

    /** As {@link Attention#attend}, with keys and values in pages of {@code pageRows} positions. */
    public static void attend(Attention.Params p, float[] q, int qOff, int nQuery, int firstQueryPos, float[][] kPages,
                              float[][] vPages, int pageRows, int kvStart, int kvEnd, float[] out, int outOff,
                              WorkerPool pool) {
        if (pageRows <= 0) throw new IllegalArgumentException("page rows must be positive, got " + pageRows);
        int kvRow = p.nKvHeads() * p.headDim();
        int pagesNeeded = (kvEnd + pageRows - 1) / pageRows;
        if (pagesNeeded > kPages.length || pagesNeeded > vPages.length) {
            throw new IndexOutOfBoundsException("KV pages hold fewer than " + kvEnd + " positions of " + pageRows + " per page");
        }
        if (kvEnd <= pageRows) { // one page: the contiguous kernel reads it in place
            Attention.attend(p, q, qOff, nQuery, firstQueryPos, kPages[0], vPages[0], kvStart, kvEnd, out, outOff, pool);
            return;
        }
        if (nQuery > 1) {
            float[] k = gather(kPages, pageRows, kvRow, kvEnd, KEYS), v = gather(vPages, pageRows, kvRow, kvEnd, VALUES);
            Attention.attend(p, q, qOff, nQuery, firstQueryPos, k, v, kvStart, kvEnd, out, outOff, pool);
            return;
        }
        pool.parallelFor(p.nHeads(), h -> oneHead(p, q, qOff, firstQueryPos, kPages, vPages, pageRows, kvStart, kvEnd,
                out, outOff, h));
    }

    /**
     * One query per sequence for several sequences (a decode step of a batch), in one loop over (sequence, head) on
     * the pool: a loop per sequence would hand the pool n small jobs per layer, each paying its dispatch.
     * Sequence i's query sits at {@code q[qOff[i]..]} at position {@code queryPos[i]} and reads keys [0, pos]
     * from its own pages.
     */
    public static void attendDecode(Attention.Params p, float[] q, int[] qOff, int[] queryPos, float[][][] kPages,
                                    float[][][] vPages, int[] pageRows, float[] out, int[] outOff, int n, WorkerPool pool) {
        attendDecode(p, q, qOff, queryPos, kPages, vPages, null, null, pageRows, out, outOff, n, pool);
    }

    /**
     * {@link #attendDecode(Attention.Params, float[], int[], int[], float[][][], float[][][], int[], float[], int[],
     * int, WorkerPool)} where a sequence's cache may be F16: sequence i reads the F32 pages kPages[i]/vPages[i], or,
     * where those arrays or entries are null, the F16 pages kHalf[i]/vHalf[i]. With any F16 sequence a task is one
     * (sequence, KV head) and runs that head's query heads one after the other: an F16 head's keys and values are
     * widened once into the task's F32 scratch (positions contiguous) and shared by its query heads (a group of 3
     * in SmolLM2, 7 in Qwen2.5-0.5B), then the F32 kernels run on it: the same bits as on the widened pages.
     */
    public static void attendDecode(Attention.Params p, float[] q, int[] qOff, int[] queryPos, float[][][] kPages,
                                    float[][][] vPages, short[][][] kHalf, short[][][] vHalf, int[] pageRows,
                                    float[] out, int[] outOff, int n, WorkerPool pool) {
        boolean anyHalf = false;
        for (int i = 0; i < n; i++) {
            int end = queryPos[i] + 1;
            boolean half = kPages == null || kPages[i] == null;
            anyHalf |= half;
            int held = half ? Math.min(kHalf[i].length, vHalf[i].length) : Math.min(kPages[i].length, vPages[i].length);
            if ((end + pageRows[i] - 1) / pageRows[i] > held) {
                throw new IndexOutOfBoundsException("KV pages of sequence " + i + " hold fewer than " + end + " positions");
            }
        }
        int heads = p.nHeads();
        if (!anyHalf) {
            pool.parallelFor(n * heads, task -> oneHead(p, q, qOff[task / heads], queryPos[task / heads],
                    kPages[task / heads], vPages[task / heads], pageRows[task / heads], 0, queryPos[task / heads] + 1,
                    out, outOff[task / heads], task % heads));
            return;
        }
        int kvHeads = p.nKvHeads(), group = heads / kvHeads;
        pool.parallelFor(n * kvHeads, task -> {
            int i = task / kvHeads, g = task % kvHeads;
            if (kPages == null || kPages[i] == null) {
                groupHalf(p, q, qOff[i], queryPos[i], kHalf[i], vHalf[i], pageRows[i], out, outOff[i], g);
            } else {
                for (int h = g * group; h < (g + 1) * group; h++) {
                    oneHead(p, q, qOff[i], queryPos[i], kPages[i], vPages[i], pageRows[i], 0, queryPos[i] + 1, out,
                            outOff[i], h);
                }
            }
        });
    }

    /** Per thread, one KV head's widened keys and values [positions][headDim] (grown on demand, reused). */
    private static final ThreadScratch HEAD_KEYS = new ThreadScratch();
    private static final ThreadScratch HEAD_VALUES = new ThreadScratch();

    /**
     * The query heads of KV head g for one query at position t over F16 pages: keys and values [from, t] of that
     * head widened ({@link VectorMath#halfToFloat}) into contiguous [n][headDim] scratch, then {@link DecodeHead#attend}
     * per query head on it.
     */
    private static void groupHalf(Attention.Params p, float[] q, int qOff, int t, short[][] kPages, short[][] vPages,
                                  int pageRows, float[] out, int outOff, int g) {
        int hd = p.headDim(), group = p.nHeads() / p.nKvHeads(), kvRow = p.nKvHeads() * hd;
        int from = p.slidingWindow() > 0 ? Math.max(0, t - p.slidingWindow() + 1) : 0, n = t + 1 - from;
        float[] k = HEAD_KEYS.atLeast(n * hd), v = HEAD_VALUES.atLeast(n * hd);
        for (int pos = from; pos <= t; pos++) {
            int src = (pos % pageRows) * kvRow + g * hd, dst = (pos - from) * hd;
            widen(kPages[pos / pageRows], src, k, dst, hd);
            widen(vPages[pos / pageRows], src, v, dst, hd);
        }
        float[][] kp = {k}, vp = {v};
        for (int h = g * group; h < (g + 1) * group; h++) {
            DecodeHead.attend(q, qOff + h * hd, kp, vp, Integer.MAX_VALUE, hd, 0, hd, 0, n, p.scale(), p.softCap(),
                    out, outOff + h * hd);
        }
    }

    /** dst[dstOff ..] = n halves of src[srcOff ..] as floats (the same values as Float.float16ToFloat). */
    private static void widen(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        int i = 0;
        if (VectorPath.ENABLED) {
            for (; i + F.length() <= n; i += F.length()) VectorMath.halfToFloat(src, srcOff + i).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(src[srcOff + i]);
    }

    /** Head h of one query at position t over paged keys [kvStart, kvEnd): logits, softmax, weighted values. */
    private static void oneHead(Attention.Params p, float[] q, int qOff, int t, float[][] kPages, float[][] vPages,
                                int pageRows, int kvStart, int kvEnd, float[] out, int outOff, int h) {
        int hd = p.headDim(), group = p.nHeads() / p.nKvHeads(), kvRow = p.nKvHeads() * hd;
        int from = kvStart;
        if (p.slidingWindow() > 0) from = Math.max(from, t - p.slidingWindow() + 1);
        int to = Math.min(kvEnd, t + 1);
        if (to <= from) throw new IllegalArgumentException("query at position " + t + " sees no key in [" + kvStart + ", " + kvEnd + ")");
        DecodeHead.attend(q, qOff + h * hd, kPages, vPages, pageRows, kvRow, (h / group) * hd, hd, from, to,
                p.scale(), p.softCap(), out, outOff + h * hd);
    }

    /**
     * The calling thread's gathered keys and values (grown on demand, reused: a prefill gathers each layer's pages,
     * and fresh arrays of that size per layer and call end up as old-generation garbage that stays resident).
     */
    private static final ThreadScratch KEYS = new ThreadScratch();
    private static final ThreadScratch VALUES = new ThreadScratch();

    /**
     * Positions [0, end) of the pages as one contiguous [end, kvRow] block at the start of {@code buffer}'s array
     * (grown as needed, so possibly longer).
     */
    private static float[] gather(float[][] pages, int pageRows, int kvRow, int end, ThreadScratch buffer) {
        float[] all = buffer.atLeast(end * kvRow);
        for (int pg = 0; pg * pageRows < end; pg++) {
            int n = Math.min(pageRows, end - pg * pageRows);
            System.arraycopy(pages[pg], 0, all, pg * pageRows * kvRow, n * kvRow);
        }
        return all;
    }
}
