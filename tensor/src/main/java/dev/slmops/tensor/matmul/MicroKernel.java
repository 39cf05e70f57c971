package dev.slmops.tensor.matmul;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The F32 register-blocked inner kernels of GEMM: C[r][0..64) (+)= sum_k A[r][k] * B[k][0..64) for a few rows r,
 * with B a packed panel ([kc][64] floats, k-major: the 64 consecutive floats at {@code b[bOff + 64k]} are
 * column block k of 64 output features) and A the activations, row-major with row stride {@code lda}.
 *
 * <p>6 x 64 block: 6 broadcast A values, 4 B vectors, 24 accumulators, all in locals (an array of vectors is
 * an order of magnitude slower). Methods stay small so they inline.
 */
final class MicroKernel {
    private MicroKernel() {
    }

    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    /** Output features per panel. */
    static final int NR = 64;
    /** Activation rows per micro-kernel call. */
    static final int MR = 6;

    /** 6 rows: c[cOff + r*ldc + j] (+)= sum_k a[aOff + r*lda + k] * b[bOff + 64k + j], r < 6, j < 64. */
    static void kernel6x64(float[] a, int aOff, int lda, float[] b, int bOff, int kc,
                           float[] c, int cOff, int ldc, boolean accumulate) {
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23,
                c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        if (accumulate) {
            int o = cOff;
            c00 = FloatVector.fromArray(F, c, o); c01 = FloatVector.fromArray(F, c, o + 16);
            c02 = FloatVector.fromArray(F, c, o + 32); c03 = FloatVector.fromArray(F, c, o + 48);
            o += ldc;
            c10 = FloatVector.fromArray(F, c, o); c11 = FloatVector.fromArray(F, c, o + 16);
            c12 = FloatVector.fromArray(F, c, o + 32); c13 = FloatVector.fromArray(F, c, o + 48);
            o += ldc;
            c20 = FloatVector.fromArray(F, c, o); c21 = FloatVector.fromArray(F, c, o + 16);
            c22 = FloatVector.fromArray(F, c, o + 32); c23 = FloatVector.fromArray(F, c, o + 48);
            o += ldc;
            c30 = FloatVector.fromArray(F, c, o); c31 = FloatVector.fromArray(F, c, o + 16);
            c32 = FloatVector.fromArray(F, c, o + 32); c33 = FloatVector.fromArray(F, c, o + 48);
            o += ldc;
            c40 = FloatVector.fromArray(F, c, o); c41 = FloatVector.fromArray(F, c, o + 16);
            c42 = FloatVector.fromArray(F, c, o + 32); c43 = FloatVector.fromArray(F, c, o + 48);
            o += ldc;
            c50 = FloatVector.fromArray(F, c, o); c51 = FloatVector.fromArray(F, c, o + 16);
            c52 = FloatVector.fromArray(F, c, o + 32); c53 = FloatVector.fromArray(F, c, o + 48);
        } else {
            FloatVector z = FloatVector.zero(F);
            c00 = z; c01 = z; c02 = z; c03 = z; c10 = z; c11 = z; c12 = z; c13 = z;
            c20 = z; c21 = z; c22 = z; c23 = z; c30 = z; c31 = z; c32 = z; c33 = z;
            c40 = z; c41 = z; c42 = z; c43 = z; c50 = z; c51 = z; c52 = z; c53 = z;
        }
        int a0 = aOff, a1 = aOff + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int k = 0, bo = bOff; k < kc; k++, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(F, b, bo);
            FloatVector b1 = FloatVector.fromArray(F, b, bo + 16);
            FloatVector b2 = FloatVector.fromArray(F, b, bo + 32);
            FloatVector b3 = FloatVector.fromArray(F, b, bo + 48);
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
        c00.intoArray(c, o); c01.intoArray(c, o + 16); c02.intoArray(c, o + 32); c03.intoArray(c, o + 48);
        o += ldc;
        c10.intoArray(c, o); c11.intoArray(c, o + 16); c12.intoArray(c, o + 32); c13.intoArray(c, o + 48);
        o += ldc;
        c20.intoArray(c, o); c21.intoArray(c, o + 16); c22.intoArray(c, o + 32); c23.intoArray(c, o + 48);
        o += ldc;
        c30.intoArray(c, o); c31.intoArray(c, o + 16); c32.intoArray(c, o + 32); c33.intoArray(c, o + 48);
        o += ldc;
        c40.intoArray(c, o); c41.intoArray(c, o + 16); c42.intoArray(c, o + 32); c43.intoArray(c, o + 48);
        o += ldc;
        c50.intoArray(c, o); c51.intoArray(c, o + 16); c52.intoArray(c, o + 32); c53.intoArray(c, o + 48);
    }

    /** 1 row: c[cOff + j] (+)= sum_k a[aOff + k] * b[bOff + 64k + j], j < 64. */
    static void kernel1x64(float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, boolean accumulate) {
        FloatVector c0, c1, c2, c3;
        if (accumulate) {
            c0 = FloatVector.fromArray(F, c, cOff); c1 = FloatVector.fromArray(F, c, cOff + 16);
            c2 = FloatVector.fromArray(F, c, cOff + 32); c3 = FloatVector.fromArray(F, c, cOff + 48);
        } else {
            c0 = FloatVector.zero(F); c1 = c0; c2 = c0; c3 = c0;
        }
        for (int k = 0, bo = bOff; k < kc; k++, bo += NR) {
            FloatVector av = FloatVector.broadcast(F, a[aOff + k]);
            c0 = FloatVector.fromArray(F, b, bo).fma(av, c0);
            c1 = FloatVector.fromArray(F, b, bo + 16).fma(av, c1);
            c2 = FloatVector.fromArray(F, b, bo + 32).fma(av, c2);
            c3 = FloatVector.fromArray(F, b, bo + 48).fma(av, c3);
        }
        c0.intoArray(c, cOff); c1.intoArray(c, cOff + 16); c2.intoArray(c, cOff + 32); c3.intoArray(c, cOff + 48);
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
