package dev.slmops.tensor.matmul;

import dev.slmops.tensor.parallel.ThreadScratch;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;

/**
 * F32 matrix product for training, C[M, N] (+)= op(A)[M, K] · op(B)[K, N], where op is the identity or the
 * transpose of a row-major matrix with a leading dimension. The three products a training step needs:
 * <pre>
 *   forward      y[T, out]  = x[T, in] · W[out, in]^T     {@link #abT}
 *   input grad   dx[T, in] += dy[T, out] · W[out, in]      {@link #ab}
 *   weight grad  dW[out, in] += dy[T, out]^T · x[T, in]    {@link #aTb}
 * </pre>
 *
 * <p>How: the inference GEMM's register-blocked {@link MicroKernel} (6 rows x NR = 4 vectors, accumulators in
 * registers) reads A row-major in place (a transposed A is transposed once into a reused buffer) and B from a slab
 * of KC x NR floats packed per task (in L1 while all rows stream past). Tasks are column panels of NR, each over
 * all rows (one packing of B per panel); with too few panels to occupy the threads, blocks of MC rows as well.
 * {@link #reference} is the naive double-precision twin; {@code -Dslmops.vector=false} runs it instead.
 */
public final class Gemm {
    private Gemm() {
    }

    /** Rows of the register block. */
    static final int MR = MicroKernel.MR;
    /** Columns of a B panel: four vectors (the inference GEMM's {@link MicroKernel} layout). */
    static final int NR = MicroKernel.NR;
    /** Rows of C per task when there are few panels. */
    static final int MC = 8 * MR;
    /** Depth of one slab: KC x NR of packed B (24 KiB with AVX2) fits L1. */
    static final int KC = 192;

    /** Floats of A per row block when A is split to stay in L2 (256 KiB of the 512 KiB L2 of a Zen 3 core). */
    static final int A_BLOCK_FLOATS = 1 << 16;
    /** The largest op(B) packed whole for row blocks to share (16 MiB). */
    static final int PACK_ALL_MAX_FLOATS = 1 << 22;

    /** Transposed A of the calling thread, reused across calls (grown on demand). */
    private static final ThreadScratch A_PACK = new ThreadScratch();
    /** Zero-padded [rows][NR] C tile of each thread running tasks, for a last panel narrower than NR. */
    private static final ThreadScratch C_TILE = new ThreadScratch();
    /** Packed B panel of each thread running tasks. */
    private static final ThreadScratch B_PACK = new ThreadScratch();

    /** C[M, N] (+)= A[M, K] · B[K, N]; A row stride lda, B row stride ldb, C row stride ldc. */
    public static void ab(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean accumulate, WorkerPool pool) {
        matmul(m, n, k, a, aOff, lda, false, b, bOff, ldb, false, c, cOff, ldc, accumulate, pool);
    }

    /** C[M, N] (+)= A[M, K] · B[N, K]^T. */
    public static void abT(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc, boolean accumulate, WorkerPool pool) {
        matmul(m, n, k, a, aOff, lda, false, b, bOff, ldb, true, c, cOff, ldc, accumulate, pool);
    }

    /** C[M, N] (+)= A[K, M]^T · B[K, N]. */
    public static void aTb(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc, boolean accumulate, WorkerPool pool) {
        matmul(m, n, k, a, aOff, lda, true, b, bOff, ldb, false, c, cOff, ldc, accumulate, pool);
    }

    /**
     * The general form: op(A)[i, p] = aTrans ? a[aOff + p*lda + i] : a[aOff + i*lda + p], likewise op(B)[p, j] with
     * bTrans; C[i, j] = c[cOff + i*ldc + j], overwritten unless {@code accumulate}.
     */
    public static void matmul(int m, int n, int k, float[] a, int aOff, int lda, boolean aTrans,
                              float[] b, int bOff, int ldb, boolean bTrans,
                              float[] c, int cOff, int ldc, boolean accumulate, WorkerPool pool) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative GEMM shape " + m + "x" + n + "x" + k);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        if (!VectorPath.ENABLED) {
            reference(m, n, k, a, aOff, lda, aTrans, b, bOff, ldb, bTrans, c, cOff, ldc, accumulate);
            return;
        }
        // A row-major [M, K]: as given, or transposed once into a reused buffer
        final float[] ar;
        final int arOff, ldar;
        if (aTrans) {
            float[] t = A_PACK.atLeast(m * k);
            final float[] tt = t;
            int blocks = (m + 63) / 64;
            pool.parallelFor(blocks, blk -> { // 64 x 64 tiles: rows of A read contiguously, written 64 apart
                int i0 = blk * 64, i1 = Math.min(m, i0 + 64);
                for (int p0 = 0; p0 < k; p0 += 64) {
                    int p1 = Math.min(k, p0 + 64);
                    for (int p = p0; p < p1; p++) {
                        int src = aOff + p * lda;
                        for (int i = i0; i < i1; i++) tt[i * k + p] = a[src + i];
                    }
                }
            });
            ar = tt;
            arOff = 0;
            ldar = k;
        } else {
            ar = a;
            arOff = aOff;
            ldar = lda;
        }
        int nPanels = (n + NR - 1) / NR;
        // Enough column panels to keep every thread busy: one task per panel over all rows, packing its slabs as it
        // goes; otherwise split the rows into blocks of MC too, with op(B) packed once beforehand (a narrow B, as
        // LoRA's rank-16 products have, would otherwise be re-packed, often transposed, by every block of rows).
        int mBlocks, rowsPerBlock;
        boolean rowsMajor = false; // task order: row block after row block (each block's A read from L2 by all panels)
        if (nPanels < 4 * pool.threads()) {
            rowsPerBlock = MC;
        } else if ((long) m * k > 2L * A_BLOCK_FLOATS && (long) n * k <= PACK_ALL_MAX_FLOATS) {
            // A much larger than L2 (dW = dy^T x of a wide layer, an LM head's): every panel over all rows would
            // read all of A from L3 again; blocks of rows whose A fits L2 are read from memory once, and op(B),
            // packed once, streams past each block instead
            rowsPerBlock = Math.max(MC, (A_BLOCK_FLOATS / k) / MR * MR);
            rowsMajor = true;
        } else {
            rowsPerBlock = m;
        }
        mBlocks = (m + rowsPerBlock - 1) / rowsPerBlock;
        final int perBlock = rowsPerBlock;
        final boolean byRows = rowsMajor;
        final float[] packed = mBlocks == 1 ? null : packAll(b, bOff, ldb, bTrans, k, n, nPanels, pool);
        pool.parallelFor(nPanels * mBlocks, task -> {
            int np = byRows ? task % nPanels : task / mBlocks, mb = byRows ? task / nPanels : task % mBlocks;
            int j0 = np * NR, cols = Math.min(NR, n - j0);
            int i0 = mb * perBlock, i1 = Math.min(m, i0 + perBlock), rows = i1 - i0;
            float[] bp = B_PACK.atLeast(KC * NR);
            // C block: in place when the panel is whole, else a zero-padded [rows][NR] tile
            float[] cc = c;
            int co = cOff + i0 * ldc + j0, ldcc = ldc;
            if (cols < NR) {
                cc = C_TILE.atLeast(rows * NR);
                if (accumulate) for (int r = 0; r < rows; r++) System.arraycopy(c, co + r * ldc, cc, r * NR, cols);
                co = 0;
                ldcc = NR;
            }
            for (int p0 = 0; p0 < k; p0 += KC) { // a KC x NR slab of B stays in L1 while the rows stream by
                int kc = Math.min(KC, k - p0);
                float[] slab = bp;
                int so = 0;
                if (packed == null) {
                    packB(b, bOff, ldb, bTrans, p0, kc, j0, cols, bp, 0);
                } else {
                    slab = packed;
                    so = (np * k + p0) * NR;
                }
                boolean acc = accumulate || p0 > 0;
                int r = 0;
                for (; r + MR <= rows; r += MR) {
                    MicroKernel.kernel6(ar, arOff + (i0 + r) * ldar + p0, ldar, slab, so, kc, cc, co + r * ldcc, ldcc, acc, cols);
                }
                for (; r < rows; r++) {
                    MicroKernel.kernel1(ar, arOff + (i0 + r) * ldar + p0, slab, so, kc, cc, co + r * ldcc, acc);
                }
            }
            if (cols < NR) {
                for (int r = 0; r < rows; r++) System.arraycopy(cc, r * NR, c, cOff + (i0 + r) * ldc + j0, cols);
            }
        });
    }

    /** The whole op(B) [K, N] packed of the calling thread, for products split into row blocks (grown on demand). */
    private static final ThreadScratch B_ALL = new ThreadScratch();

    /**
     * All of op(B) [K, N] as nPanels panels of [K][NR] one after the other (panel np's slab at p0 starts at
     * (np*K + p0)*NR), packed by slabs spread over the pool; a buffer of the calling thread.
     */
    private static float[] packAll(float[] b, int bOff, int ldb, boolean bTrans, int k, int n, int nPanels, WorkerPool pool) {
        float[] all = B_ALL.atLeast(nPanels * k * NR);
        final float[] dst = all;
        int slabs = (k + KC - 1) / KC;
        pool.parallelFor(nPanels * slabs, t -> {
            int np = t / slabs, p0 = (t % slabs) * KC, j0 = np * NR;
            packB(b, bOff, ldb, bTrans, p0, Math.min(KC, k - p0), j0, Math.min(NR, n - j0), dst, (np * k + p0) * NR);
        });
        return all;
    }

    /**
     * Rows [p0, p0+kc) and columns [j0, j0+cols) of op(B) as a slab at bp[bpOff ..]:
     * bp[bpOff + p*NR + j] = op(B)[p0 + p, j0 + j], zero past cols.
     */
    private static void packB(float[] b, int bOff, int ldb, boolean bTrans, int p0, int kc, int j0, int cols,
                              float[] bp, int bpOff) {
        if (bTrans) { // op(B)[p, j] = b[(j0 + j) * ldb + p]: cols rows of B, transposed into the slab
            if (bpOff == 0) {
                RowPacking.transposeToPanel(b, bOff + j0 * ldb + p0, ldb, cols, kc, bp);
            } else {
                for (int p = 0; p < kc; p++) {
                    int dst = bpOff + p * NR, src = bOff + j0 * ldb + p0 + p;
                    for (int j = 0; j < cols; j++) bp[dst + j] = b[src + j * ldb];
                    for (int j = cols; j < NR; j++) bp[dst + j] = 0f;
                }
            }
        } else if (cols == NR) { // whole rows of NR: vector copies (an arraycopy call per 128-byte row costs more)
            final int l = MicroKernel.L;
            for (int p = 0; p < kc; p++) {
                int src = bOff + (p0 + p) * ldb + j0, dst = bpOff + p * NR;
                for (int j = 0; j < NR; j += l) FloatVector.fromArray(MicroKernel.F, b, src + j).intoArray(bp, dst + j);
            }
        } else {
            for (int p = 0; p < kc; p++) {
                int src = bOff + (p0 + p) * ldb + j0, dst = bpOff + p * NR;
                System.arraycopy(b, src, bp, dst, cols);
                for (int j = cols; j < NR; j++) bp[dst + j] = 0f;
            }
        }
    }

    /** Naive oracle of {@link #matmul}: triple loop, sums in double. */
    public static void reference(int m, int n, int k, float[] a, int aOff, int lda, boolean aTrans,
                                 float[] b, int bOff, int ldb, boolean bTrans,
                                 float[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    float av = aTrans ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = bTrans ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += (double) av * bv;
                }
                int o = cOff + i * ldc + j;
                c[o] = accumulate ? (float) (c[o] + s) : (float) s;
            }
        }
    }
}
