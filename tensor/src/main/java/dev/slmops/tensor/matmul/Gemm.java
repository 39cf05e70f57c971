package dev.slmops.tensor.matmul;

import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * F32 matrix product for training, C[M, N] (+)= op(A)[M, K] · op(B)[K, N], where op is the identity or the
 * transpose of a row-major matrix with a leading dimension. The three products a training step needs:
 * <pre>
 *   forward      y[T, out]  = x[T, in] · W[out, in]^T     {@link #abT}
 *   input grad   dx[T, in] += dy[T, out] · W[out, in]      {@link #ab}
 *   weight grad  dW[out, in] += dy[T, out]^T · x[T, in]    {@link #aTb}
 * </pre>
 *
 * <p>How: A is packed once into micro-panels of MR rows ({@code [M/MR][K][MR]}, so a kernel step broadcasts MR
 * consecutive floats); B is packed per task into one panel of NR = 2 vectors of columns ({@code [K][NR]},
 * K·NR·4 bytes, in L1/L2); the MR x NR block of C stays in 12 vector registers over the whole K loop. Tasks are
 * (column panel, block of MC rows) pairs on the worker pool; packing B per task costs K·NR per 2·MC·K·NR flops.
 * {@link #reference} is the naive double-precision twin; {@code -Dslmops.vector=false} runs it instead.
 */
public final class Gemm {
    private Gemm() {
    }

    private static final VectorSpecies<Float> F = VectorPath.F;
    private static final int L = F.length();
    /** Rows of the register block. */
    static final int MR = 6;
    /** Columns of the register block: two vectors. */
    static final int NR = 2 * L;
    /** Rows of C per task: 8 register blocks reuse one packed B panel. */
    static final int MC = 8 * MR;

    /** Packed A of the calling thread, reused across calls (grown on demand). */
    private static final ThreadLocal<float[]> A_PACK = ThreadLocal.withInitial(() -> new float[0]);
    /** Packed B panel of each thread running tasks. */
    private static final ThreadLocal<float[]> B_PACK = ThreadLocal.withInitial(() -> new float[0]);

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
        int mPanels = (m + MR - 1) / MR;
        float[] ap = A_PACK.get();
        if (ap.length < mPanels * MR * k) {
            ap = new float[mPanels * MR * k];
            A_PACK.set(ap);
        }
        final float[] apf = ap;
        pool.parallelFor(mPanels, mp -> packA(a, aOff, lda, aTrans, m, k, mp, apf));

        int nPanels = (n + NR - 1) / NR, mBlocks = (m + MC - 1) / MC;
        pool.parallelFor(nPanels * mBlocks, task -> {
            int np = task / mBlocks, mb = task % mBlocks;
            int j0 = np * NR, cols = Math.min(NR, n - j0);
            float[] bp = B_PACK.get();
            if (bp.length < k * NR) {
                bp = new float[k * NR];
                B_PACK.set(bp);
            }
            packB(b, bOff, ldb, bTrans, k, j0, cols, bp);
            int iEnd = Math.min(m, (mb + 1) * MC);
            for (int i0 = mb * MC; i0 < iEnd; i0 += MR) {
                int rows = Math.min(MR, m - i0);
                kernel(apf, (i0 / MR) * MR * k, bp, k, c, cOff + i0 * ldc + j0, ldc, rows, cols, accumulate);
            }
        });
    }

    /** Micro-panel mp of op(A): ap[mp*MR*K + p*MR + r] = op(A)[mp*MR + r, p], zero past row m. */
    private static void packA(float[] a, int aOff, int lda, boolean aTrans, int m, int k, int mp, float[] ap) {
        int base = mp * MR * k, i0 = mp * MR, rows = Math.min(MR, m - i0);
        if (aTrans) {
            for (int p = 0; p < k; p++) {
                int src = aOff + p * lda + i0, dst = base + p * MR;
                for (int r = 0; r < rows; r++) ap[dst + r] = a[src + r];
                for (int r = rows; r < MR; r++) ap[dst + r] = 0f;
            }
        } else {
            for (int r = 0; r < MR; r++) {
                if (r < rows) {
                    int src = aOff + (i0 + r) * lda;
                    for (int p = 0; p < k; p++) ap[base + p * MR + r] = a[src + p];
                } else {
                    for (int p = 0; p < k; p++) ap[base + p * MR + r] = 0f;
                }
            }
        }
    }

    /** Columns [j0, j0+cols) of op(B): bp[p*NR + j] = op(B)[p, j0 + j], zero past cols. */
    private static void packB(float[] b, int bOff, int ldb, boolean bTrans, int k, int j0, int cols, float[] bp) {
        if (bTrans) {
            for (int j = 0; j < NR; j++) {
                if (j < cols) {
                    int src = bOff + (j0 + j) * ldb;
                    for (int p = 0; p < k; p++) bp[p * NR + j] = b[src + p];
                } else {
                    for (int p = 0; p < k; p++) bp[p * NR + j] = 0f;
                }
            }
        } else {
            for (int p = 0; p < k; p++) {
                int src = bOff + p * ldb + j0, dst = p * NR;
                System.arraycopy(b, src, bp, dst, cols);
                for (int j = cols; j < NR; j++) bp[dst + j] = 0f;
            }
        }
    }

    /** The MR x NR block: C[r, j] (+)= sum_p ap[p*MR + r] * bp[p*NR + j], for r < rows, j < cols. */
    private static void kernel(float[] ap, int apOff, float[] bp, int k, float[] c, int cOff, int ldc,
                               int rows, int cols, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        for (int p = 0, ao = apOff, bo = 0; p < k; p++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(F, bp, bo);
            FloatVector b1 = FloatVector.fromArray(F, bp, bo + L);
            FloatVector a0 = FloatVector.broadcast(F, ap[ao]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, ap[ao + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, ap[ao + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, ap[ao + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, ap[ao + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, ap[ao + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        if (rows == MR && cols == NR) {
            store(c00, c01, c, cOff, accumulate);
            store(c10, c11, c, cOff + ldc, accumulate);
            store(c20, c21, c, cOff + 2 * ldc, accumulate);
            store(c30, c31, c, cOff + 3 * ldc, accumulate);
            store(c40, c41, c, cOff + 4 * ldc, accumulate);
            store(c50, c51, c, cOff + 5 * ldc, accumulate);
            return;
        }
        float[] tile = new float[MR * NR];
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int o = cOff + r * ldc + j;
                c[o] = accumulate ? c[o] + tile[r * NR + j] : tile[r * NR + j];
            }
        }
    }

    private static void store(FloatVector v0, FloatVector v1, float[] c, int off, boolean accumulate) {
        if (accumulate) {
            v0 = v0.add(FloatVector.fromArray(F, c, off));
            v1 = v1.add(FloatVector.fromArray(F, c, off + L));
        }
        v0.intoArray(c, off);
        v1.intoArray(c, off + L);
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
