package dev.slmops.tensor.matmul;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every register blocking runs on every machine (6 or 4 rows x 4 vectors is chosen on AVX-512, x 2 vectors twice on
 * AVX2; each computes the same numbers anywhere, only speed differs), checked against the scalar twin.
 */
class MicroKernelTest {
    @Test
    void everyBlockingAndTheSingleRowKernelMatchTheScalarKernel() {
        int nr = MicroKernel.NR, kc = 37, lda = 41, ldc = nr + 5;
        Random rnd = new Random(3);
        float[] a = new float[6 * lda];
        float[] b = new float[kc * nr];
        float[] c0 = new float[6 * ldc];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < c0.length; i++) c0[i] = (float) rnd.nextGaussian();
        for (boolean accumulate : new boolean[]{false, true}) {
            float[] expected = c0.clone();
            MicroKernel.kernelScalar(a, 2, lda, 6, b, 0, kc, expected, 1, ldc, accumulate);
            float[] four = c0.clone();
            MicroKernel.kernel6x4(a, 2, lda, b, 0, kc, four, 1, ldc, accumulate);
            float[] two = c0.clone();
            MicroKernel.kernel6x2(a, 2, lda, b, 0, kc, two, 1, ldc, accumulate);
            MicroKernel.kernel6x2(a, 2, lda, b, 2 * MicroKernel.L, kc, two, 1 + 2 * MicroKernel.L, ldc, accumulate);
            float[] fourRows4 = c0.clone(), fourRows2 = c0.clone();
            MicroKernel.kernel4x4(a, 2, lda, b, 0, kc, fourRows4, 1, ldc, accumulate);
            MicroKernel.kernel4x2(a, 2, lda, b, 0, kc, fourRows2, 1, ldc, accumulate);
            MicroKernel.kernel4x2(a, 2, lda, b, 2 * MicroKernel.L, kc, fourRows2, 1 + 2 * MicroKernel.L, ldc, accumulate);
            float[] one = c0.clone();
            for (int r = 0; r < 6; r++) MicroKernel.kernel1(a, 2 + r * lda, b, 0, kc, one, 1 + r * ldc, accumulate);
            for (int i = 0; i < expected.length; i++) {
                assertThat(four[i]).as("6x4 [%d]", i).isCloseTo(expected[i], within(1e-4f));
                assertThat(two[i]).as("6x2 [%d]", i).isCloseTo(expected[i], within(1e-4f));
                assertThat(one[i]).as("1 row [%d]", i).isCloseTo(expected[i], within(1e-4f));
                // the 4-row kernels leave rows 4 and 5 as they were
                float fourRowsExpected = i >= 1 + 4 * ldc ? c0[i] : expected[i];
                assertThat(fourRows4[i]).as("4x4 [%d]", i).isCloseTo(fourRowsExpected, within(1e-4f));
                assertThat(fourRows2[i]).as("4x2 [%d]", i).isCloseTo(fourRowsExpected, within(1e-4f));
            }
        }
    }
}
