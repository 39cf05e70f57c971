package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The 8-row interleaved layout of the 4- and 5-bit families ({@link NibbleGroups}) against the row-major one
 * ({@link Q4Rows}, {@link Q5Rows}) on the same bytes, at row counts that leave partial groups and panels:
 * the vector GEMV equals its scalar twin bit for bit; both give the row layout's int8 GEMV up to float summation
 * order (the integer dots are the same: 3e-6 of sum |w x|); the GEMM panels are bit-identical.
 */
class NibbleGroupsTest {
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q5_1", "Q5_K"})
    void groupsMatchTheRowLayout(DType type) {
        long seed = 11;
        int[] ks = type.blockSize == 256 ? new int[]{256, 768} : new int[]{32, 96, 288};
        for (int k : ks) {
            for (int n : new int[]{1, 7, 8, 9, 33, 70}) {
                MemorySegment w = RandomWeights.of(type, n, k, seed++);
                NibbleGroups groups = NibbleGroups.from(type, w, 0, n, k);
                boolean five = type.name().startsWith("Q5");
                PackedWeights rows = five ? Q5Rows.from(type, w, 0, n, k, true) : Q4Rows.from(type, w, 0, n, k, true);
                float[] x = RandomWeights.activations(k, seed++);

                float[] yVector = new float[n], yScalar = new float[n], yRows = new float[n];
                groups.gemvRange(x, 0, groups.gemvPrepare(x, 0), yVector, 0, 0, groups.gemvUnits(), true);
                groups.gemvRange(x, 0, groups.gemvPrepare(x, 0), yScalar, 0, 0, groups.gemvUnits(), false);
                rows.gemvRange(x, 0, rows.gemvPrepare(x, 0), yRows, 0, 0, rows.gemvUnits(), true);
                assertThat(yVector).as(type + " n=" + n + " k=" + k + ": vector vs scalar").containsExactly(yScalar);

                float[] wf = new float[n * k];
                dev.slmops.tensor.quant.Dequantize.toFloat(type, w, 0, wf, 0, wf.length);
                for (int r = 0; r < n; r++) {
                    double absSum = 0;
                    for (int j = 0; j < k; j++) absSum += Math.abs(wf[r * k + j] * x[j]);
                    double tol = 3e-6 * absSum + 1e-6;
                    if (!(Math.abs(yVector[r] - yRows[r]) <= tol)) {
                        fail(type + " n=" + n + " k=" + k + " row " + r + ": groups " + yVector[r] + ", rows " + yRows[r]);
                    }
                }

                for (int p = 0; p < groups.panels(); p++) {
                    for (int k0 = 0; k0 < k; k0 += PackedWeights.KC) {
                        int kc = Math.min(PackedWeights.KC, k - k0);
                        float[] a = new float[kc * MicroKernel.NR], b = new float[kc * MicroKernel.NR];
                        groups.panel(p, k0, kc, a);
                        rows.panel(p, k0, kc, b);
                        assertThat(a).as(type + " panel " + p + " k0=" + k0).containsExactly(b);
                    }
                }
            }
        }
    }

    /**
     * The _0/_1 types keep their scales as the file's F16 bits and widen them in the kernels by a shift, a mask and a
     * multiply: every finite half (subnormals, both zeros, the largest) as a Q4_0 block scale gives the panel the row
     * layout gives from float scales; a file with an infinite scale keeps floats and still agrees.
     */
    @org.junit.jupiter.api.Test
    void everyFiniteHalfScaleWidensExactly() {
        int n = 2048, k = 32; // one block per row: 2048 scales per matrix
        java.util.List<Short> halves = new java.util.ArrayList<>();
        for (int h = 0; h < 1 << 16; h++) if ((h & 0x7C00) != 0x7C00) halves.add((short) h);
        halves.add((short) 0x7C00); // +inf: the last matrix falls back to float scales
        java.util.Random rnd = new java.util.Random(5);
        for (int first = 0; first < halves.size(); first += n) {
            byte[] bytes = new byte[n * DType.Q4_0.blockBytes];
            for (int r = 0; r < n; r++) {
                short h = halves.get(Math.min(first + r, halves.size() - 1));
                int at = r * DType.Q4_0.blockBytes;
                bytes[at] = (byte) h;
                bytes[at + 1] = (byte) (h >> 8);
                for (int j = 2; j < DType.Q4_0.blockBytes; j++) bytes[at + j] = (byte) rnd.nextInt(256);
            }
            MemorySegment w = MemorySegment.ofArray(bytes);
            NibbleGroups groups = NibbleGroups.from(DType.Q4_0, w, 0, n, k);
            PackedWeights rows = Q4Rows.from(DType.Q4_0, w, 0, n, k, true);
            float[] a = new float[k * MicroKernel.NR], b = new float[k * MicroKernel.NR];
            for (int p = 0; p < groups.panels(); p++) {
                groups.panel(p, 0, k, a);
                rows.panel(p, 0, k, b);
                assertThat(a).as("panel " + p + " of the matrix from half " + first).containsExactly(b);
            }
        }
    }

    /**
     * The K-quants keep the file's 6-bit scales and mins with its F16 d and dmin per 256 and form d * sc and
     * -(dmin * min) in the kernels: finite halves as d and as dmin (every subnormal and the largest exponent, one in
     * eleven of the rest: the widening itself is the _0/_1 types', checked above for every half), with random sub-block
     * fields, give the panel the row layout gives from float scales, and the GEMV its scalar reference's outputs; a
     * matrix with an infinite d keeps floats and agrees.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_K", "Q5_K"})
    void finiteHalvesAsKQuantScalesWidenExactly(DType type) {
        int n = 2048, k = 256; // one block per row
        java.util.List<Short> halves = new java.util.ArrayList<>();
        for (int h = 0; h < 1 << 16; h++) {
            int exponent = (h >> 10) & 31;
            if (exponent != 31 && (exponent == 0 || exponent == 30 || h % 11 == 0)) halves.add((short) h);
        }
        halves.add((short) 0x7C00); // +inf: the last matrix falls back to float scales
        java.util.Random rnd = new java.util.Random(7);
        boolean five = type == DType.Q5_K;
        for (int first = 0; first < halves.size(); first += n) {
            byte[] bytes = new byte[n * type.blockBytes];
            for (int r = 0; r < n; r++) {
                short d = halves.get(Math.min(first + r, halves.size() - 1));
                short dmin = halves.get((halves.size() - 2 - first - r + halves.size()) % (halves.size() - 1));
                int at = r * type.blockBytes;
                bytes[at] = (byte) d;
                bytes[at + 1] = (byte) (d >> 8);
                bytes[at + 2] = (byte) dmin;
                bytes[at + 3] = (byte) (dmin >> 8);
                for (int j = 4; j < type.blockBytes; j++) bytes[at + j] = (byte) rnd.nextInt(256);
            }
            MemorySegment w = MemorySegment.ofArray(bytes);
            NibbleGroups groups = NibbleGroups.from(type, w, 0, n, k);
            PackedWeights rows = five ? Q5Rows.from(type, w, 0, n, k, true) : Q4Rows.from(type, w, 0, n, k, true);
            float[] a = new float[k * MicroKernel.NR], b = new float[k * MicroKernel.NR];
            for (int p = 0; p < groups.panels(); p++) {
                groups.panel(p, 0, k, a);
                rows.panel(p, 0, k, b);
                assertThat(a).as(type + " panel " + p + " of the matrix from half " + first).containsExactly(b);
            }
            float[] x = RandomWeights.activations(k, first);
            float[] yVector = new float[n], yScalar = new float[n];
            int units = 256 / RowGroups.G; // the first 256 rows: the scalar reference is slow
            groups.gemvRange(x, 0, groups.gemvPrepare(x, 0), yVector, 0, 0, units, true);
            groups.gemvRange(x, 0, groups.gemvPrepare(x, 0), yScalar, 0, 0, units, false);
            assertThat(yVector).as(type + " GEMV of the matrix from half " + first).containsExactly(yScalar);
        }
    }
}
