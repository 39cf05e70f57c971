package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every matmul kernel (GEMV for M = 1, GEMM for M > 1; vector and scalar paths) against the naive oracle
 * (reference dequantization + double triple loop) on awkward shapes.
 * Tolerance: |fast - ref| <= 3e-6 * sum_k |x_k W_nk| + 1e-6, float accumulation's error bound with margin.
 */
class PackedWeightsTest {
    private static final WorkerPool POOL = new WorkerPool(2);
    private static final double REL = 3e-6;

    @AfterAll
    static void close() {
        POOL.close();
    }

    static int[] ks(DType type) {
        return switch (type.blockSize) {
            case 1 -> new int[]{1, 3, 7, 17, 33, 65, 255};
            case 32 -> new int[]{32, 96, 288};
            default -> new int[]{256, 768};
        };
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void matchesNaiveReferenceOnAwkwardShapes(DType type) {
        int[] ns = {1, 3, 7, 17, 33, 65, 255};
        int[] ms = {1, 3, 7, 17, 33, 65};
        long seed = 1;
        for (int k : ks(type)) {
            for (int n : ns) {
                MemorySegment w = RandomWeights.of(type, n, k, seed++);
                PackedWeights packed = PackedWeights.pack(type, w, 0, n, k, false); // float activations: Int8GemvTest has the int8 path
                for (int m : ms) {
                    if ((long) m * n * k > 3_000_000) continue;
                    float[] x = RandomWeights.activations(m * k, seed++);
                    MatmulReference.Result ref = MatmulReference.matmul(type, w, 0, n, k, x, m);
                    for (boolean vector : new boolean[]{true, false}) {
                        float[] y = new float[m * n + 5];
                        if (m == 1) packed.gemv(x, 0, y, 2, POOL, vector);
                        else packed.gemm(x, 0, y, 2, m, POOL, vector);
                        check(type + " m=" + m + " n=" + n + " k=" + k + (vector ? " vector" : " scalar"), ref, y, 2);
                        if (m == 1) {
                            // GEMM's kernels also serve a single row: check them too
                            float[] y2 = new float[n];
                            packed.gemm(x, 0, y2, 0, 1, POOL, vector);
                            check(type + " gemm m=1 n=" + n + " k=" + k, ref, y2, 0);
                        }
                    }
                }
            }
        }
    }

    private static void check(String what, MatmulReference.Result ref, float[] y, int yOff) {
        for (int i = 0; i < ref.y().length; i++) {
            double err = Math.abs(y[yOff + i] - (double) ref.y()[i]);
            double tol = REL * ref.absSum()[i] + 1e-6;
            if (!(err <= tol)) fail(what + ": y[" + i + "] = " + y[yOff + i] + ", reference " + ref.y()[i] + " (error " + err + " > " + tol + ")");
        }
    }

    /**
     * The vector GEMM (6-row blocks, a zero-padded copy for the last M % 6 rows, partial panels through a tile) sums
     * every output's products in the same order as the scalar kernel: the same bits, whatever M and N.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void gemmGivesTheScalarKernelsBitsOnAwkwardShapes(DType type) {
        int k = type.blockSize == 256 ? 512 : 416; // more than two KC slabs, the last one partial
        long seed = 500;
        for (int n : new int[]{MicroKernel.NR, 2 * MicroKernel.NR + 5, 3}) {
            MemorySegment w = RandomWeights.of(type, n, k, seed++);
            PackedWeights packed = PackedWeights.pack(type, w, 0, n, k, false);
            for (int m : new int[]{2, 4, 6, 8, 9, 13, 40}) { // RowBlocks: 4, 4, 6, 4+4, 6+4 padded, 6+4+4 padded, 4x6+4x4
                float[] x = RandomWeights.activations(m * k, seed++);
                float[] fast = new float[m * n + 3], slow = new float[m * n + 3];
                packed.gemm(x, 0, fast, 3, m, POOL, true);
                packed.gemm(x, 0, slow, 3, m, POOL, false);
                for (int i = 0; i < fast.length; i++) {
                    if (Float.floatToRawIntBits(fast[i]) != Float.floatToRawIntBits(slow[i])) {
                        fail(type + " m=" + m + " n=" + n + ": y[" + i + "] vector " + fast[i] + " != scalar " + slow[i]);
                    }
                }
            }
        }
    }

    /**
     * q/k/v through matmulAll gives each matmul's own bits: a prefill (x rounded once, all panels in one loop) and
     * a batched decode of 8 rows (quantized weights: x prepared once for the three, {@link QuantRowsBatch#prepare}).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "Q8_0", "Q4_0", "Q4_K"})
    void matmulAllOfPrefillAndBatchedDecodeGivesEachMatmulsBits(DType type) {
        for (int m : new int[] {8, 41}) matmulAllGivesEachMatmulsBits(type, m);
    }

    private static void matmulAllGivesEachMatmulsBits(DType type, int m) {
        int k = type.blockSize == 256 ? 512 : 416;
        int[] ns = {3 * MicroKernel.NR, MicroKernel.NR + 7, 2 * MicroKernel.NR};
        long seed = 900;
        PackedWeights[] ws = new PackedWeights[ns.length];
        for (int i = 0; i < ns.length; i++) {
            ws[i] = PackedWeights.pack(type, RandomWeights.of(type, ns[i], k, seed++), 0, ns[i], k, true,
                    ActivationRounding.forWeights(type));
        }
        float[] x = RandomWeights.activations(m * k, seed);
        float[][] ys = new float[ns.length][];
        for (int i = 0; i < ns.length; i++) ys[i] = new float[m * ns[i]];
        PackedWeights.matmulAll(ws, x, 0, ys, m, POOL);
        for (int i = 0; i < ns.length; i++) {
            float[] alone = new float[m * ns[i]];
            ws[i].matmul(x, 0, alone, 0, m, POOL);
            for (int j = 0; j < alone.length; j++) {
                if (Float.floatToRawIntBits(alone[j]) != Float.floatToRawIntBits(ys[i][j])) {
                    fail(type + " m=" + m + " weight " + i + ": y[" + j + "] matmulAll " + ys[i][j] + " != matmul " + alone[j]);
                }
            }
        }
    }

    /** matmulOverwritingInput gives matmul's bits and leaves x rounded as the kernels multiplied it, on every path. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void matmulOverwritingInputIsMatmul(DType type) {
        int n = 40, k = 256;
        MemorySegment w = RandomWeights.of(type, n, k, 3);
        PackedWeights packed = PackedWeights.pack(type, w, 0, n, k, Int8Activations.ENABLED, ActivationRounding.ggml(type));
        for (int m : new int[]{1, 3, 40, 70}) {
            float[] x = RandomWeights.activations(m * k, 17 + m), scratch = x.clone();
            float[] want = new float[m * n], got = new float[m * n];
            packed.matmul(x, 0, want, 0, m, POOL);
            packed.matmulOverwritingInput(scratch, 0, got, 0, m, POOL);
            for (int i = 0; i < want.length; i++) {
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) fail(type + " m=" + m + " y[" + i + "]: " + got[i] + " != " + want[i]);
            }
            float[] rounded = new float[m * k]; // what x became: itself, or its rounding where the matmul rounds a copy
            ActivationRounding.ggml(type).round(x, 0, m, k, rounded, 0);
            for (int i = 0; i < x.length; i++) {
                if (scratch[i] != x[i] && scratch[i] != rounded[i]) fail(type + " m=" + m + " x[" + i + "] became " + scratch[i]);
            }
        }
    }

    /** row(n) is the stored row dequantized (the same numbers; a zero's sign may differ) in every layout (int8 ones included) and every panel slot. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void rowIsTheStoredRowDequantized(DType type) {
        int n = 37, k = type.blockSize == 1 ? 401 : type.blockSize == 32 ? 416 : 512; // k past one KC slab
        MemorySegment w = RandomWeights.of(type, n, k, 7);
        for (boolean int8 : new boolean[]{false, true}) {
            PackedWeights packed = PackedWeights.pack(type, w, 0, n, k, int8);
            for (int r = 0; r < n; r++) {
                float[] want = new float[k], got = new float[k + 3];
                dev.slmops.tensor.quant.Dequantize.toFloat(type, w, type.bytesFor((long) r * k), want, 0, k);
                packed.row(r, got, 3);
                for (int i = 0; i < k; i++) { // == : q * d - 8d is +0 where (q - 8) * d is -0, the same number
                    if (got[3 + i] != want[i]) fail(type + " " + packed + " row " + r + " [" + i + "]: " + got[3 + i] + " != " + want[i]);
                }
            }
        }
    }

    @Test
    void publicMatmulDispatchesAndChecksShapes() {
        MemorySegment w = RandomWeights.of(DType.Q8_0, 70, 64, 9);
        PackedWeights p = PackedWeights.pack(DType.Q8_0, w, 0, 70, 64, false);
        float[] x = RandomWeights.activations(2 * 64, 10);
        float[] y = new float[2 * 70];
        p.matmul(x, 0, y, 0, 2, POOL); // 2 rows of a quantized matrix: two GEMVs
        MatmulReference.Result ref = MatmulReference.matmul(DType.Q8_0, w, 0, 70, 64, x, 2);
        check("public matmul", ref, y, 0);
        float[] x40 = RandomWeights.activations(40 * 64, 11);
        float[] y40 = new float[40 * 70];
        p.matmul(x40, 0, y40, 0, 40, POOL); // 40 rows: the GEMM
        check("public matmul m=40", MatmulReference.matmul(DType.Q8_0, w, 0, 70, 64, x40, 40), y40, 0);
        assertThat(p.rows()).isEqualTo(70);
        assertThat(p.cols()).isEqualTo(64);
        assertThatThrownBy(() -> p.matmul(x, 0, new float[10], 0, 2, POOL)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> PackedWeights.pack(DType.Q8_0, w, 0, 70, 48))
                .hasMessageContaining("whole number of 32-element blocks");
        assertThatThrownBy(() -> PackedWeights.pack(DType.Q8_0, w, 0, 71, 64)).hasMessageContaining("needs");
    }
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "Q8_0", "Q4_0", "Q6_K"})
    void matmulAllRunsSeveralWeightsOnOneInput(DType type) {
        int k = type.blockSize == 256 ? 256 : 96;
        int[] ns = {70, 17, 33}; // q, k, v-like: unequal heights, partial panels
        long seed = 100;
        MemorySegment[] raw = new MemorySegment[ns.length];
        PackedWeights[] ws = new PackedWeights[ns.length];
        for (int i = 0; i < ns.length; i++) {
            raw[i] = RandomWeights.of(type, ns[i], k, seed++);
            ws[i] = PackedWeights.pack(type, raw[i], 0, ns[i], k, false);
        }
        for (int m : new int[]{1, 3, 40}) { // decode, a few rows (GEMVs, or GEMM for F16), GEMM
            float[] x = RandomWeights.activations(m * k, seed++);
            float[][] ys = new float[ns.length][];
            for (int i = 0; i < ns.length; i++) ys[i] = new float[m * ns[i]];
            PackedWeights.matmulAll(ws, x, 0, ys, m, POOL);
            for (int i = 0; i < ns.length; i++) {
                check(type + " matmulAll m=" + m + " weight " + i, MatmulReference.matmul(type, raw[i], 0, ns[i], k, x, m), ys[i], 0);
            }
        }
        assertThatThrownBy(() -> PackedWeights.matmulAll(ws, new float[k], 0, new float[2][], 1, POOL))
                .hasMessageContaining("3 weights but 2 outputs");
    }
    @Test
    void vectorHalfToFloatIsExactForEveryFiniteHalf() {
        if (!VectorPath.ENABLED) return;
        int l = VectorPath.L;
        short[] h = new short[l];
        float[] got = new float[l];
        for (int base = 0; base < 1 << 16; base += l) {
            for (int j = 0; j < l; j++) h[j] = (short) (base + j);
            PanelWeights.f16ToFloat(jdk.incubator.vector.ShortVector.fromArray(VectorPath.S, h, 0)).intoArray(got, 0);
            for (int j = 0; j < l; j++) {
                if ((h[j] & 0x7C00) == 0x7C00) continue; // infinities and NaNs are refused at pack time
                float want = Float.float16ToFloat(h[j]);
                if (Float.floatToRawIntBits(got[j]) != Float.floatToRawIntBits(want)) {
                    fail(String.format("half 0x%04x: got %s, want %s", h[j] & 0xFFFF, got[j], want));
                }
            }
        }
    }
}
