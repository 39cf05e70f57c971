package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The 16-bit integer prefill GEMM of Q4_0 ({@link Int16Gemm}): bit for bit its scalar twin at shapes that leave
 * partial groups, panels, row blocks and slabs; within float rounding of the exact product of the dequantized
 * weights with x rounded to q8_0 (what ggml multiplies); and what {@link PackedWeights#matmul} and
 * {@link PackedWeights#matmulAll} run for a Q4_0 prefill.
 */
class Int16GemmTest {
    private static final WorkerPool POOL = new WorkerPool(2);

    /** {n outputs, k inputs, m rows}: 1088 = 34 blocks, four slabs of 8 and a partial one; m = 70, 133: partial row blocks. */
    private static final int[][] SHAPES = {{100, 224, 70}, {64, 1088, 64}, {17, 32, 6}, {200, 96, 133}, {130, 64, 1}};

    @Test
    void vectorKernelIsItsScalarTwinAndNearTheExactProduct() {
        assumeThat(Int16Gemm.ENABLED).as("512-bit vectors with the int8 paths on").isTrue();
        long seed = 40;
        for (int[] shape : SHAPES) {
            int n = shape[0], k = shape[1], m = shape[2];
            MemorySegment w = RandomWeights.of(DType.Q4_0, n, k, seed++);
            NibbleGroups groups = NibbleGroups.from(DType.Q4_0, w, 0, n, k);
            float[] x = RandomWeights.activations(m * k, seed++);
            float[] y = new float[m * n], ref = new float[m * n];
            Int16Gemm.gemm(groups, Int16Gemm.quantize(x, 0, m, k, POOL), y, 0, POOL);
            Int16Gemm.reference(groups, x, 0, m, ref, 0);
            String at = "n=" + n + " k=" + k + " m=" + m;
            for (int i = 0; i < y.length; i++) {
                if (Float.floatToRawIntBits(y[i]) != Float.floatToRawIntBits(ref[i])) {
                    fail(at + ": y[" + i + "] vector " + y[i] + " != scalar " + ref[i]);
                }
            }
            // against the product in double of the dequantized weights and x as ggml rounds it for Q4_0
            float[] wf = new float[n * k], xr = new float[m * k];
            dev.slmops.tensor.quant.Dequantize.toFloat(DType.Q4_0, w, 0, wf, 0, wf.length);
            ActivationRounding.ggml(DType.Q4_0).round(x, 0, m, k, xr, 0);
            for (int r = 0; r < m; r++) {
                for (int o = 0; o < n; o++) {
                    double exact = 0, abs = 0;
                    for (int j = 0; j < k; j++) {
                        exact += (double) wf[o * k + j] * xr[r * k + j];
                        abs += Math.abs((double) wf[o * k + j] * xr[r * k + j]);
                    }
                    double tol = 1e-6 * abs + 1e-6;
                    if (!(Math.abs(y[r * n + o] - exact) <= tol)) {
                        fail(at + ": row " + r + " output " + o + " " + y[r * n + o] + " vs exact " + exact);
                    }
                }
            }
        }
    }

    /**
     * A Q4_0 prefill through matmul, and q/k/v through matmulAll, run this GEMM from 24 rows (a server's batch of
     * 25 sequences too): the twin's bits.
     */
    @ParameterizedTest
    @ValueSource(ints = {25, 77})
    void matmulAndMatmulAllOfAQ4_0PrefillRunIt(int m) {
        assumeThat(Int16Gemm.ENABLED).as("512-bit vectors with the int8 paths on").isTrue();
        int k = 320;
        int[] ns = {192, 71, 64};
        PackedWeights[] ws = new PackedWeights[ns.length];
        for (int i = 0; i < ns.length; i++) {
            ws[i] = PackedWeights.pack(DType.Q4_0, RandomWeights.of(DType.Q4_0, ns[i], k, 70 + i), 0, ns[i], k, true,
                    ActivationRounding.forWeights(DType.Q4_0));
            assumeThat(ws[i]).isInstanceOf(NibbleGroups.class);
            assertThat(ws[i].gemmRoundsInput(m)).as("rows %d take Int16Gemm", m).isTrue();
        }
        float[] x = RandomWeights.activations(m * k, 5), xCopy = x.clone();
        float[][] ys = new float[ns.length][];
        for (int i = 0; i < ns.length; i++) ys[i] = new float[m * ns[i]];
        PackedWeights.matmulAll(ws, x, 0, ys, m, POOL);
        for (int i = 0; i < ns.length; i++) {
            float[] alone = new float[m * ns[i]], ref = new float[m * ns[i]];
            ws[i].matmul(x, 0, alone, 0, m, POOL);
            Int16Gemm.reference((NibbleGroups) ws[i], x, 0, m, ref, 0);
            for (int j = 0; j < ref.length; j++) {
                if (Float.floatToRawIntBits(alone[j]) != Float.floatToRawIntBits(ref[j])
                        || Float.floatToRawIntBits(ys[i][j]) != Float.floatToRawIntBits(ref[j])) {
                    fail("weight " + i + " y[" + j + "]: matmul " + alone[j] + ", matmulAll " + ys[i][j] + ", twin " + ref[j]);
                }
            }
        }
        for (int i = 0; i < x.length; i++) if (x[i] != xCopy[i]) fail("x[" + i + "] was modified");
    }
}
