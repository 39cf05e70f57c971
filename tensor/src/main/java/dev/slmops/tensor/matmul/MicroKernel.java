package dev.slmops.tensor.matmul;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The F32 register-blocked inner kernels of GEMM: C[r][0..NR) (+)= sum_k A[r][k] * B[k][0..NR) for a few rows r,
 * with B a packed panel ([kc][NR] floats, k-major: the NR consecutive floats at {@code b[bOff + NR*k]} are the
 * NR output features' weights for input k; NR = 4 vectors) and A the activations, row-major with row stride {@code lda}.
 *
 * <p>6 x NR block: 6 broadcast A values, 4 (AVX-512) or 2 (AVX2) B vectors, 24 or 12 accumulators, all in locals (an array of vectors is
 * an order of magnitude slower). Methods stay small so they inline.
 */
final class MicroKernel {
    private MicroKernel() {
    }

    static final VectorSpecies<Float> F = VectorPath.F;
    static final int L = VectorPath.L;
    /** Output features per panel: 4 vectors (64 with AVX-512, 32 with AVX2). */
    static final int NR = 4 * L;
    /** Activation rows per micro-kernel call. */
    static final int MR = 6;
    /** 32 vector registers (AVX-512): 6 x 4 vectors at once; 16 (AVX2): 6 x 2 vectors, twice per panel. */
    private static final boolean FOUR_WIDE = L >= 16;

    /** 6 rows x NR columns: c[cOff + r*ldc + j] (+)= sum_k a[aOff + r*lda + k] * b[bOff + NR*k + j]. */
    static void kernel6(float[] a, int aOff, int lda, float[] b, int bOff, int kc,
                        float[] c, int cOff, int ldc, boolean accumulate) {
        if (FOUR_WIDE) {
            kernel6x4(a, aOff, lda, b, bOff, kc, c, cOff, ldc, accumulate);
        } else {
            kernel6x2(a, aOff, lda, b, bOff, kc, c, cOff, ldc, accumulate);
            kernel6x2(a, aOff, lda, b, bOff + 2 * L, kc, c, cOff + 2 * L, ldc, accumulate);
        }
    }

    /**
     * {@link #kernel6} for a panel whose live columns are {@code cols} (the rest zero padding): with AVX2 a panel of at
     * most 2 vectors' columns (LoRA's rank 16, a narrow last panel) runs its live half only.
     */
    static void kernel6(float[] a, int aOff, int lda, float[] b, int bOff, int kc,
                        float[] c, int cOff, int ldc, boolean accumulate, int cols) {
        if (!FOUR_WIDE && cols <= 2 * L) {
            kernel6x2(a, aOff, lda, b, bOff, kc, c, cOff, ldc, accumulate);
        } else {
            kernel6(a, aOff, lda, b, bOff, kc, c, cOff, ldc, accumulate);
        }
    }

    /** 6 rows x 4 vectors: 6 broadcast A values, 4 B vectors, 24 accumulators (needs 32 registers). */
    static void kernel6x4(float[] a, int aOff, int lda, float[] b, int bOff, int kc,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        final int l1 = L, l2 = 2 * L, l3 = 3 * L;
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23,
                c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        if (accumulate) {
            int o = cOff;
            c00 = FloatVector.fromArray(F, c, o); c01 = FloatVector.fromArray(F, c, o + l1);
            c02 = FloatVector.fromArray(F, c, o + l2); c03 = FloatVector.fromArray(F, c, o + l3);
            o += ldc;
            c10 = FloatVector.fromArray(F, c, o); c11 = FloatVector.fromArray(F, c, o + l1);
            c12 = FloatVector.fromArray(F, c, o + l2); c13 = FloatVector.fromArray(F, c, o + l3);
            o += ldc;
            c20 = FloatVector.fromArray(F, c, o); c21 = FloatVector.fromArray(F, c, o + l1);
            c22 = FloatVector.fromArray(F, c, o + l2); c23 = FloatVector.fromArray(F, c, o + l3);
            o += ldc;
            c30 = FloatVector.fromArray(F, c, o); c31 = FloatVector.fromArray(F, c, o + l1);
            c32 = FloatVector.fromArray(F, c, o + l2); c33 = FloatVector.fromArray(F, c, o + l3);
            o += ldc;
            c40 = FloatVector.fromArray(F, c, o); c41 = FloatVector.fromArray(F, c, o + l1);
            c42 = FloatVector.fromArray(F, c, o + l2); c43 = FloatVector.fromArray(F, c, o + l3);
            o += ldc;
            c50 = FloatVector.fromArray(F, c, o); c51 = FloatVector.fromArray(F, c, o + l1);
            c52 = FloatVector.fromArray(F, c, o + l2); c53 = FloatVector.fromArray(F, c, o + l3);
        } else {
            FloatVector z = FloatVector.zero(F);
            c00 = z; c01 = z; c02 = z; c03 = z; c10 = z; c11 = z; c12 = z; c13 = z;
            c20 = z; c21 = z; c22 = z; c23 = z; c30 = z; c31 = z; c32 = z; c33 = z;
            c40 = z; c41 = z; c42 = z; c43 = z; c50 = z; c51 = z; c52 = z; c53 = z;
        }
        int a0 = aOff, a1 = aOff + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int k = 0, bo = bOff; k < kc; k++, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(F, b, bo);
            FloatVector b1 = FloatVector.fromArray(F, b, bo + l1);
            FloatVector b2 = FloatVector.fromArray(F, b, bo + l2);
            FloatVector b3 = FloatVector.fromArray(F, b, bo + l3);
            FloatVector av = FloatVector.broadcast(F, a[a0 + k]);
            c00 = b0.fma(av, c00); c01 = b1.fma(av, c01); c02 = b2.fma(av, c02); c03 = b3.fma(av, c03);
            av = FloatVector.broadcast(F, a[a1 + k]);
            c10 = b0.fma(av, c10); c11 = b1.fma(av, c11); c12 = b2.fma(av, c12); c13 = b3.fma(av, c13);
            av = FloatVector.broadcast(F, a[a2 + k]);
            c20 = b0.fma(av, c20); c21 = b1.fma(av, c21); c22 = b2.fma(av, c22); c23 = b3.fma(av, c23);
            av = FloatVector.broadcast(F, a[a3 + k]);
            c30 = b0.fma(av, c30); c31 = b1.fma(av, c31); c32 = b2.fma(av, c32); c33 = b3.fma(av, c33);
            av = FloatVector.broadcast(F, a[a4 + k]);
            c40 = b0.fma(av, c40); c41 = b1.fma(av, c41); c42 = b2.fma(av, c42); c43 = b3.fma(av, c43);
            av = FloatVector.broadcast(F, a[a5 + k]);
            c50 = b0.fma(av, c50); c51 = b1.fma(av, c51); c52 = b2.fma(av, c52); c53 = b3.fma(av, c53);
        }
        int o = cOff;
        c00.intoArray(c, o); c01.intoArray(c, o + l1); c02.intoArray(c, o + l2); c03.intoArray(c, o + l3);
        o += ldc;
        c10.intoArray(c, o); c11.intoArray(c, o + l1); c12.intoArray(c, o + l2); c13.intoArray(c, o + l3);
        o += ldc;
        c20.intoArray(c, o); c21.intoArray(c, o + l1); c22.intoArray(c, o + l2); c23.intoArray(c, o + l3);
        o += ldc;
        c30.intoArray(c, o); c31.intoArray(c, o + l1); c32.intoArray(c, o + l2); c33.intoArray(c, o + l3);
        o += ldc;
        c40.intoArray(c, o); c41.intoArray(c, o + l1); c42.intoArray(c, o + l2); c43.intoArray(c, o + l3);
        o += ldc;
        c50.intoArray(c, o); c51.intoArray(c, o + l1); c52.intoArray(c, o + l2); c53.intoArray(c, o + l3);
    }

    /** 6 rows x 2 vectors of a panel (columns bOff-relative 0..2L): 12 accumulators, fits 16 registers (AVX2). */
    static void kernel6x2(float[] a, int aOff, int lda, float[] b, int bOff, int kc,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        final int l1 = L;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate) {
            int o = cOff;
            c00 = FloatVector.fromArray(F, c, o); c01 = FloatVector.fromArray(F, c, o + l1);
            o += ldc;
            c10 = FloatVector.fromArray(F, c, o); c11 = FloatVector.fromArray(F, c, o + l1);
            o += ldc;
            c20 = FloatVector.fromArray(F, c, o); c21 = FloatVector.fromArray(F, c, o + l1);
            o += ldc;
            c30 = FloatVector.fromArray(F, c, o); c31 = FloatVector.fromArray(F, c, o + l1);
            o += ldc;
            c40 = FloatVector.fromArray(F, c, o); c41 = FloatVector.fromArray(F, c, o + l1);
            o += ldc;
            c50 = FloatVector.fromArray(F, c, o); c51 = FloatVector.fromArray(F, c, o + l1);
        } else {
            FloatVector z = FloatVector.zero(F);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z; c40 = z; c41 = z; c50 = z; c51 = z;
        }
        int a0 = aOff, a1 = aOff + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int k = 0, bo = bOff; k < kc; k++, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(F, b, bo);
            FloatVector b1 = FloatVector.fromArray(F, b, bo + l1);
            FloatVector av = FloatVector.broadcast(F, a[a0 + k]);
            c00 = b0.fma(av, c00); c01 = b1.fma(av, c01);
            av = FloatVector.broadcast(F, a[a1 + k]);
            c10 = b0.fma(av, c10); c11 = b1.fma(av, c11);
            av = FloatVector.broadcast(F, a[a2 + k]);
            c20 = b0.fma(av, c20); c21 = b1.fma(av, c21);
            av = FloatVector.broadcast(F, a[a3 + k]);
            c30 = b0.fma(av, c30); c31 = b1.fma(av, c31);
            av = FloatVector.broadcast(F, a[a4 + k]);
            c40 = b0.fma(av, c40); c41 = b1.fma(av, c41);
            av = FloatVector.broadcast(F, a[a5 + k]);
            c50 = b0.fma(av, c50); c51 = b1.fma(av, c51);
        }
        int o = cOff;
        c00.intoArray(c, o); c01.intoArray(c, o + l1);
        o += ldc;
        c10.intoArray(c, o); c11.intoArray(c, o + l1);
        o += ldc;
        c20.intoArray(c, o); c21.intoArray(c, o + l1);
        o += ldc;
        c30.intoArray(c, o); c31.intoArray(c, o + l1);
        o += ldc;
        c40.intoArray(c, o); c41.intoArray(c, o + l1);
        o += ldc;
        c50.intoArray(c, o); c51.intoArray(c, o + l1);
    }

    /**
     * 4 rows x NR columns, as {@link #kernel6} (same sums, same order): for row counts that 6-row blocks would pad,
     * e.g. 8 decoding sequences as 4 + 4 instead of 6 + 6 with 4 zero rows.
     */
    static void kernel4(float[] a, int aOff, int lda, float[] b, int bOff, int kc,
                        float[] c, int cOff, int ldc, boolean accumulate) {
        if (FOUR_WIDE) {
            kernel4x4(a, aOff, lda, b, bOff, kc, c, cOff, ldc, accumulate);
        } else {
            kernel4x2(a, aOff, lda, b, bOff, kc, c, cOff, ldc, accumulate);
            kernel4x2(a, aOff, lda, b, bOff + 2 * L, kc, c, cOff + 2 * L, ldc, accumulate);
        }
    }

    /** 4 rows x 4 vectors: 4 broadcast A values, 4 B vectors, 16 accumulators (AVX-512). */
    static void kernel4x4(float[] a, int aOff, int lda, float[] b, int bOff, int kc,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        final int l1 = L, l2 = 2 * L, l3 = 3 * L;
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
        if (accumulate) {
            int o = cOff;
            c00 = FloatVector.fromArray(F, c, o); c01 = FloatVector.fromArray(F, c, o + l1);
            c02 = FloatVector.fromArray(F, c, o + l2); c03 = FloatVector.fromArray(F, c, o + l3);
            o += ldc;
            c10 = FloatVector.fromArray(F, c, o); c11 = FloatVector.fromArray(F, c, o + l1);
            c12 = FloatVector.fromArray(F, c, o + l2); c13 = FloatVector.fromArray(F, c, o + l3);
            o += ldc;
            c20 = FloatVector.fromArray(F, c, o); c21 = FloatVector.fromArray(F, c, o + l1);
            c22 = FloatVector.fromArray(F, c, o + l2); c23 = FloatVector.fromArray(F, c, o + l3);
            o += ldc;
            c30 = FloatVector.fromArray(F, c, o); c31 = FloatVector.fromArray(F, c, o + l1);
            c32 = FloatVector.fromArray(F, c, o + l2); c33 = FloatVector.fromArray(F, c, o + l3);
        } else {
            FloatVector z = FloatVector.zero(F);
            c00 = z; c01 = z; c02 = z; c03 = z; c10 = z; c11 = z; c12 = z; c13 = z;
            c20 = z; c21 = z; c22 = z; c23 = z; c30 = z; c31 = z; c32 = z; c33 = z;
        }
        int a0 = aOff, a1 = aOff + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int k = 0, bo = bOff; k < kc; k++, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(F, b, bo);
            FloatVector b1 = FloatVector.fromArray(F, b, bo + l1);
            FloatVector b2 = FloatVector.fromArray(F, b, bo + l2);
            FloatVector b3 = FloatVector.fromArray(F, b, bo + l3);
            FloatVector av = FloatVector.broadcast(F, a[a0 + k]);
            c00 = b0.fma(av, c00); c01 = b1.fma(av, c01); c02 = b2.fma(av, c02); c03 = b3.fma(av, c03);
            av = FloatVector.broadcast(F, a[a1 + k]);
            c10 = b0.fma(av, c10); c11 = b1.fma(av, c11); c12 = b2.fma(av, c12); c13 = b3.fma(av, c13);
            av = FloatVector.broadcast(F, a[a2 + k]);
            c20 = b0.fma(av, c20); c21 = b1.fma(av, c21); c22 = b2.fma(av, c22); c23 = b3.fma(av, c23);
            av = FloatVector.broadcast(F, a[a3 + k]);
            c30 = b0.fma(av, c30); c31 = b1.fma(av, c31); c32 = b2.fma(av, c32); c33 = b3.fma(av, c33);
        }
        int o = cOff;
        c00.intoArray(c, o); c01.intoArray(c, o + l1); c02.intoArray(c, o + l2); c03.intoArray(c, o + l3);
        o += ldc;
        c10.intoArray(c, o); c11.intoArray(c, o + l1); c12.intoArray(c, o + l2); c13.intoArray(c, o + l3);
        o += ldc;
        c20.intoArray(c, o); c21.intoArray(c, o + l1); c22.intoArray(c, o + l2); c23.intoArray(c, o + l3);
        o += ldc;
        c30.intoArray(c, o); c31.intoArray(c, o + l1); c32.intoArray(c, o + l2); c33.intoArray(c, o + l3);
    }

    /** 4 rows x 2 vectors of a panel (columns bOff-relative 0..2L): 8 accumulators (AVX2). */
    static void kernel4x2(float[] a, int aOff, int lda, float[] b, int bOff, int kc,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        final int l1 = L;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (accumulate) {
            int o = cOff;
            c00 = FloatVector.fromArray(F, c, o); c01 = FloatVector.fromArray(F, c, o + l1);
            o += ldc;
            c10 = FloatVector.fromArray(F, c, o); c11 = FloatVector.fromArray(F, c, o + l1);
            o += ldc;
            c20 = FloatVector.fromArray(F, c, o); c21 = FloatVector.fromArray(F, c, o + l1);
            o += ldc;
            c30 = FloatVector.fromArray(F, c, o); c31 = FloatVector.fromArray(F, c, o + l1);
        } else {
            FloatVector z = FloatVector.zero(F);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
        }
        int a0 = aOff, a1 = aOff + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int k = 0, bo = bOff; k < kc; k++, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(F, b, bo);
            FloatVector b1 = FloatVector.fromArray(F, b, bo + l1);
            FloatVector av = FloatVector.broadcast(F, a[a0 + k]);
            c00 = b0.fma(av, c00); c01 = b1.fma(av, c01);
            av = FloatVector.broadcast(F, a[a1 + k]);
            c10 = b0.fma(av, c10); c11 = b1.fma(av, c11);
            av = FloatVector.broadcast(F, a[a2 + k]);
            c20 = b0.fma(av, c20); c21 = b1.fma(av, c21);
            av = FloatVector.broadcast(F, a[a3 + k]);
            c30 = b0.fma(av, c30); c31 = b1.fma(av, c31);
        }
        int o = cOff;
        c00.intoArray(c, o); c01.intoArray(c, o + l1);
        o += ldc;
        c10.intoArray(c, o); c11.intoArray(c, o + l1);
        o += ldc;
        c20.intoArray(c, o); c21.intoArray(c, o + l1);
        o += ldc;
        c30.intoArray(c, o); c31.intoArray(c, o + l1);
    }

    /** 1 row x NR columns: c[cOff + j] (+)= sum_k a[aOff + k] * b[bOff + NR*k + j]. */
    static void kernel1(float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, boolean accumulate) {
        final int l1 = L, l2 = 2 * L, l3 = 3 * L;
        FloatVector c0, c1, c2, c3;
        if (accumulate) {
            c0 = FloatVector.fromArray(F, c, cOff); c1 = FloatVector.fromArray(F, c, cOff + l1);
            c2 = FloatVector.fromArray(F, c, cOff + l2); c3 = FloatVector.fromArray(F, c, cOff + l3);
        } else {
            c0 = FloatVector.zero(F); c1 = c0; c2 = c0; c3 = c0;
        }
        for (int k = 0, bo = bOff; k < kc; k++, bo += NR) {
            FloatVector av = FloatVector.broadcast(F, a[aOff + k]);
            c0 = FloatVector.fromArray(F, b, bo).fma(av, c0);
            c1 = FloatVector.fromArray(F, b, bo + l1).fma(av, c1);
            c2 = FloatVector.fromArray(F, b, bo + l2).fma(av, c2);
            c3 = FloatVector.fromArray(F, b, bo + l3).fma(av, c3);
        }
        c0.intoArray(c, cOff); c1.intoArray(c, cOff + l1); c2.intoArray(c, cOff + l2); c3.intoArray(c, cOff + l3);
    }

    /** Scalar twin of both kernels, for {@code rows} rows (any count). */
    static void kernelScalar(float[] a, int aOff, int lda, int rows, float[] b, int bOff, int kc,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        for (int r = 0; r < rows; r++) {
            int co = cOff + r * ldc, ao = aOff + r * lda;
            if (!accumulate) java.util.Arrays.fill(c, co, co + NR, 0f);
            for (int k = 0; k < kc; k++) {
                float av = a[ao + k];
                int bo = bOff + k * NR;
                for (int j = 0; j < NR; j++) c[co + j] = Math.fma(b[bo + j], av, c[co + j]);
            }
        }
    }
}
