package dev.slmops.tensor.matmul;

import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The training GEMM against its naive double-precision twin, in all transpose forms, awkward shapes, strides. */
class GemmTest {
    private static final WorkerPool POOL = new WorkerPool(2);
    private static final int[] SIZES = {1, 3, 7, 17, 33, 65};

    @AfterAll
    static void close() {
        POOL.close();
    }

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void everyTransposeFormMatchesTheReferenceOnAwkwardShapes() {
        long seed = 1;
        for (int m : SIZES) {
            for (int n : SIZES) {
                for (int k : new int[] {1, 5, 31, 64}) {
                    for (int form = 0; form < 4; form++) {
                        boolean aT = (form & 1) != 0, bT = (form & 2) != 0;
                        for (boolean acc : new boolean[] {false, true}) {
                            check(m, n, k, aT, bT, acc, seed++);
                        }
                    }
                }
            }
        }
    }

    @Test
    void stridedSubMatricesAndLargerShapes() {
        check(130, 97, 200, false, true, true, 99);
        check(48 * 3 + 5, 2 * VectorPath.L * 5 + 3, 129, true, false, false, 100);
    }

    /**
     * LoRA's shapes: a rank-16 side (N = 16, or a few panels) with several KC slabs, so the rows split into blocks
     * that share one packing of op(B); and an M of 16 (two 6-row blocks and four single rows).
     */
    @Test
    void narrowProductsOverSeveralSlabs() {
        long seed = 200;
        for (int n : new int[] {16, 2 * VectorPath.L + 1, 3 * MicroKernel.NR}) {
            for (int form = 0; form < 4; form++) {
                check(101, n, 2 * Gemm.KC + 17, (form & 1) != 0, (form & 2) != 0, form % 2 == 0, seed++);
            }
        }
        check(16, 300, 2 * Gemm.KC + 5, true, false, false, seed++);
    }

    /** An A much larger than a row block (M*K > 2 * A_BLOCK_FLOATS) with many panels: row blocks sharing packed B. */
    @Test
    void largeAInRowBlocks() {
        int m = 2 * Gemm.A_BLOCK_FLOATS / 300 + 7, n = 8 * MicroKernel.NR + 5;
        for (int form = 0; form < 4; form++) {
            check(m, n, 2 * Gemm.KC - 84, (form & 1) != 0, (form & 2) != 0, form >= 2, 300 + form);
        }
    }

    /** Operands with row strides wider than the product (a sub-matrix at an offset); C's padding must stay intact. */
    private static void check(int m, int n, int k, boolean aT, boolean bT, boolean acc, long seed) {
        int lda = (aT ? m : k) + 3, ldb = (bT ? k : n) + 2, ldc = n + 5;
        int aRows = aT ? k : m, bRows = bT ? n : k;
        float[] a = gaussian(2 + aRows * lda, seed), b = gaussian(1 + bRows * ldb, seed + 1000);
        float[] c = gaussian(4 + m * ldc, seed + 2000), expected = c.clone();
        Gemm.reference(m, n, k, a, 2, lda, aT, b, 1, ldb, bT, expected, 4, ldc, acc);
        Gemm.matmul(m, n, k, a, 2, lda, aT, b, 1, ldb, bT, c, 4, ldc, acc, POOL);
        for (int i = 0; i < c.length; i++) {
            double tol = 1e-5 * (k + 1) + 1e-6 * Math.abs(expected[i]);
            assertThat((double) c[i]).as("C[%d] of %dx%dx%d aT=%s bT=%s acc=%s", i, m, n, k, aT, bT, acc)
                    .isCloseTo(expected[i], org.assertj.core.api.Assertions.within(tol));
        }
    }
}
