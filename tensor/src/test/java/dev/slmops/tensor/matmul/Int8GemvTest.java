package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The decode GEMVs that round the activations to int8 per 32-block ({@link Int8Activations}, as ggml's
 * quantize_row_q8_0 before vec_dot_q8_0_q8_0 / vec_dot_q4_0_q8_0) against the naive oracle (reference
 * dequantization, exact x, double accumulation).
 *
 * <p>Error budget: rounding moves x[k] by at most d_b / 2 (d_b = max |x| over k's block / 127), so
 * |fast - ref| <= sum_k |W[n][k]| * d_b(k) / 2 (the rounding) + 3e-6 * sum_k |x_k W_nk| + 1e-6 (float accumulation,
 * as PackedWeightsTest). The integer products themselves are exact.
 */
class Int8GemvTest {
    private static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q5_1", "Q5_K", "Q6_K"})
    void int8GemvMatchesTheReferenceWithinTheRoundingBudget(DType type) {
        if (!Int8Activations.ENABLED) {
            System.err.println("Int8GemvTest: int8 activations are off on this machine (vector width "
                    + VectorPath.L + " floats); checking the kernels directly anyway");
        }
        long seed = 7;
        int[] ks = type.blockSize == 256 ? new int[]{256, 768} : new int[]{32, 96, 288, 896};
        for (int k : ks) {
            for (int n : new int[]{1, 3, 17, 65, 255}) {
                MemorySegment w = RandomWeights.of(type, n, k, seed++);
                PackedWeights packed = PackedWeights.pack(type, w, 0, n, k, true);
                float[] x = RandomWeights.activations(k, seed++);
                x[0] = 0f; // an all-zero block must not divide by zero
                if (k >= 64) java.util.Arrays.fill(x, 32, 64, 0f);
                float[] wf = new float[n * k];
                Dequantize.toFloat(type, w, 0, wf, 0, wf.length);
                MatmulReference.Result ref = MatmulReference.matmul(type, w, 0, n, k, x, 1);
                float[] y = new float[n + 3];
                packed.gemv(x, 0, y, 1, POOL, true);
                int block = ActivationRounding.ggml(type).blockSize; // 32 (q8_0, q8_1) or 256 (q8_K)
                for (int j = 0; j < n; j++) {
                    double rounding = 0;
                    for (int b = 0; b < k / block; b++) {
                        float amax = 0f;
                        double wabs = 0;
                        for (int i = 0; i < block; i++) {
                            amax = Math.max(amax, Math.abs(x[block * b + i]));
                            wabs += Math.abs(wf[j * k + block * b + i]);
                        }
                        // half a step of d = amax / 127, plus up to 127 times d's own F16 rounding (2^-11 relative)
                        rounding += wabs * (amax / 127.0) * (0.5 + 127.0 / 2048);
                    }
                    double tol = rounding * 1.0001 + 3e-6 * ref.absSum()[j] + 1e-6;
                    double err = Math.abs(y[1 + j] - (double) ref.y()[j]);
                    if (!(err <= tol)) {
                        fail(type + " n=" + n + " k=" + k + ": y[" + j + "] = " + y[1 + j] + ", reference "
                                + ref.y()[j] + " (error " + err + " > budget " + tol + ")");
                    }
                }
            }
        }
    }

    @Test
    void roundingFollowsGgmlQ8_0() {
        float[] x = new float[64];
        for (int i = 0; i < 32; i++) x[i] = i - 16.25f; // block 0: max |x| = 16.25
        Int8Activations a = Int8Activations.quantize(x, 0, 64, DType.Q8_0);
        float d = Float.float16ToFloat(Float.floatToFloat16(16.25f / 127f)); // ggml stores d as F16
        assertThat(a.d()[0]).isEqualTo(d);
        assertThat(a.q()[0]).isEqualTo((short) -127);
        assertThat(a.d()[1]).isZero(); // block 1 all zeros: scale 0, quants 0
        assertThat(a.q()[40]).isZero();
        for (int i = 0; i < 32; i++) {
            // q = rint(x * 127 / amax) is within half a step of the float d; d's F16 rounding adds |q| * 2^-11 d
            assertThat(Math.abs(a.q()[i] * a.d()[0] - x[i])).isLessThanOrEqualTo(d * (0.5f + 127f / 2048));
        }
        // the block sum is of the ROUNDED values (ggml's q8_1 s), close to the exact -24 = 496 - 520
        int qsum = 0;
        for (int i = 0; i < 32; i++) qsum += a.q()[i];
        assertThat(a.sum()[0]).isEqualTo(a.d()[0] * qsum);
        assertThat(a.sum()[0]).isCloseTo(-24f, org.assertj.core.data.Offset.offset(16 * a.d()[0]));
    }
}
