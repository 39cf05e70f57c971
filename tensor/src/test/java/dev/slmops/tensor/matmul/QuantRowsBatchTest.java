package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The few-rows product on quantized weights ({@link QuantRowsBatch}, taken by {@link PackedWeights#matmul} for 2..31
 * rows): equal to one GEMV per row (the naive order of the same kernels) up to float summation order, and within the error budget of the
 * reference oracle (reference dequantization, double accumulation).
 */
class QuantRowsBatchTest {
    private static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q6_K"})
    void fewRowsEqualOneGemvPerRowAndTheReference(DType type) {
        long seed = 11;
        int[] ks = type.blockSize == 256 ? new int[]{256, 768} : new int[]{64, 896};
        for (boolean int8 : new boolean[]{false, true}) {
            for (int k : ks) {
                for (int n : new int[]{5, 67, 300}) {
                    MemorySegment w = RandomWeights.of(type, n, k, seed++);
                    PackedWeights packed = PackedWeights.pack(type, w, 0, n, k, int8);
                    for (int m : new int[]{2, 3, 8, 31}) {
                        // each layout's own switch to GEMM (the 5-bit nibble groups from 8 rows)
                        assertThat(QuantRowsBatch.applies(packed, m)).isEqualTo(m < packed.gemmMinRows());
                        if (m == 2) assertThat(QuantRowsBatch.applies(packed, m)).isTrue();
                        if (!QuantRowsBatch.applies(packed, m)) continue;
                        float[] x = new float[m * k];
                        for (int r = 0; r < m; r++) System.arraycopy(RandomWeights.activations(k, seed++), 0, x, r * k, k);
                        float[] y = new float[m * n + 2];
                        packed.matmul(x, 0, y, 1, m, POOL);
                        float[] perRow = new float[m * n + 2];
                        for (int r = 0; r < m; r++) packed.gemv(x, r * k, perRow, 1 + r * n, POOL, VectorPath.ENABLED);
                        MatmulReference.Result ref = MatmulReference.matmul(type, w, 0, n, k, x, m);
                        String what = type + " int8=" + int8 + " n=" + n + " k=" + k + " m=" + m;
                        assertThat(y[0]).isZero();
                        assertThat(y[m * n + 1]).isZero();
                        for (int i = 0; i < m * n; i++) {
                            // the same kernels; a block edge may change which rows share a kernel call: float order
                            assertThat(y[1 + i]).as(what + " vs per-row, output " + i)
                                    .isCloseTo(perRow[1 + i], org.assertj.core.data.Offset.offset((float) (ref.absSum()[i] * 1e-6 + 1e-6)));
                            // int8 rounding of x moves each product by at most 1/254 of the block's largest |x|
                            double budget = ref.absSum()[i] * (int8 ? 0.02 : 1e-5) + 1e-5;
                            assertThat((double) y[1 + i]).isCloseTo(ref.y()[i], org.assertj.core.data.Offset.offset(budget));
                        }
                    }
                }
            }
        }
    }

    /**
     * Batched decode must not change a single bit: with int8 activations, the multi-row kernels ({@link
     * Q8Groups}' for Q8_0, {@link NibbleGroups}' 4-row kernels for the 4- and 5-bit types) and the blocked
     * per-row path both give exactly what one GEMV per row
     * gives, on awkward row counts (groups of 4, then 2, then an odd row) and K not a multiple of 256 where the type
     * allows it.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q5_1", "Q5_K", "Q6_K"})
    void batchedDecodeIsBitIdenticalToOneGemvPerRow(DType type) {
        long seed = 101;
        // K a multiple of 64 (Q8_0's 16-lane kernel takes blocks in pairs) and not
        int[] ks = type.blockSize == 256 ? new int[]{256, 768} : new int[]{32, 96, 128, 896, 928};
        for (int k : ks) {
            for (int n : new int[]{1, 5, 67}) {
                MemorySegment w = RandomWeights.of(type, n, k, seed++);
                PackedWeights packed = PackedWeights.pack(type, w, 0, n, k, true);
                for (int m : new int[]{2, 3, 7, 8, 17, 31}) {
                    float[] x = new float[m * k];
                    for (int r = 0; r < m; r++) System.arraycopy(RandomWeights.activations(k, seed++), 0, x, r * k, k);
                    float[] perRow = new float[m * n];
                    for (int r = 0; r < m; r++) packed.gemv(x, r * k, perRow, r * n, POOL, VectorPath.ENABLED);
                    for (boolean multiRow : new boolean[]{true, false}) {
                        float[] y = new float[m * n];
                        QuantRowsBatch.matmul(packed, x, 0, y, 0, m, POOL, VectorPath.ENABLED, multiRow);
                        String what = type + " n=" + n + " k=" + k + " m=" + m + " multiRow=" + multiRow;
                        for (int i = 0; i < m * n; i++) {
                            assertThat(Float.floatToRawIntBits(y[i])).as(what + ", output " + i + ": " + y[i] + " vs " + perRow[i])
                                    .isEqualTo(Float.floatToRawIntBits(perRow[i]));
                        }
                    }
                }
            }
        }
    }
}
