package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The byte-per-weight row-interleaved layouts ({@link Q8Groups}, {@link Q6Groups}) against their row-major ones
 * ({@link Q8Rows}, {@link Q6Rows}) on the same bytes, at row counts that leave partial groups and panels: the vector
 * GEMV equals its scalar twin bit for bit, and a multi-row kernel equals it too; both give the row layout's int8 GEMV
 * up to float summation order (the integer dots are the same); the GEMM panels and single rows are bit-identical.
 */
class ByteGroupsTest {
    private static RowGroups groups(DType type, MemorySegment w, int n, int k) {
        return type == DType.Q8_0 ? Q8Groups.from(w, 0, n, k) : Q6Groups.from(w, 0, n, k);
    }

    private static PackedWeights rows(DType type, MemorySegment w, int n, int k) {
        return type == DType.Q8_0 ? Q8Rows.from(w, 0, n, k, true) : Q6Rows.from(w, 0, n, k, true);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q6_K"})
    void groupsMatchTheRowLayout(DType type) {
        long seed = 21;
        int[] ks = type == DType.Q8_0 ? new int[]{32, 96, 288, 576} : new int[]{256, 768};
        for (int k : ks) {
            for (int n : new int[]{1, 7, 8, 9, 16, 33, 70}) {
                MemorySegment w = RandomWeights.of(type, n, k, seed++);
                RowGroups groups = groups(type, w, n, k);
                PackedWeights rows = rows(type, w, n, k);
                float[] x = RandomWeights.activations(k, seed++);

                float[] yVector = new float[n], yScalar = new float[n], yRows = new float[n];
                groups.gemvRange(x, 0, groups.gemvPrepare(x, 0), yVector, 0, 0, groups.gemvUnits(), true);
                groups.gemvRange(x, 0, groups.gemvPrepare(x, 0), yScalar, 0, 0, groups.gemvUnits(), false);
                rows.gemvRange(x, 0, rows.gemvPrepare(x, 0), yRows, 0, 0, rows.gemvUnits(), true);
                assertThat(yVector).as("n=" + n + " k=" + k + ": vector vs scalar").containsExactly(yScalar);

                float[] wf = new float[n * k];
                dev.slmops.tensor.quant.Dequantize.toFloat(type, w, 0, wf, 0, wf.length);
                for (int r = 0; r < n; r++) {
                    double absSum = 0;
                    for (int j = 0; j < k; j++) absSum += Math.abs(wf[r * k + j] * x[j]);
                    double tol = 3e-6 * absSum + 1e-6;
                    if (!(Math.abs(yVector[r] - yRows[r]) <= tol)) {
                        fail("n=" + n + " k=" + k + " row " + r + ": groups " + yVector[r] + ", rows " + yRows[r]);
                    }
                }

                if (groups.hasMultiRowInt8()) checkMultiRow(groups, n, k, seed++);
                for (int p = 0; p < groups.panels(); p++) {
                    for (int k0 = 0; k0 < k; k0 += PackedWeights.KC) {
                        int kc = Math.min(PackedWeights.KC, k - k0);
                        float[] a = new float[kc * MicroKernel.NR], b = new float[kc * MicroKernel.NR];
                        groups.panel(p, k0, kc, a);
                        rows.panel(p, k0, kc, b);
                        assertThat(a).as("panel " + p + " k0=" + k0).containsExactly(b);
                    }
                }
                for (int r = 0; r < n; r++) {
                    float[] a = new float[k + 1], b = new float[k + 1];
                    groups.row(r, a, 1);
                    rows.row(r, b, 1);
                    assertThat(a).as("row " + r).containsExactly(b);
                }
            }
        }
    }

    /** Four activation rows through the multi-row kernel, 2 and 4 at a time: exactly one GEMV per row. */
    private static void checkMultiRow(RowGroups groups, int n, int k, long seed) {
        float[] xs = new float[4 * k];
        for (int r = 0; r < 4; r++) System.arraycopy(RandomWeights.activations(k, seed + r), 0, xs, r * k, k);
        Object[] prep = new Object[4];
        float[] yEach = new float[4 * n];
        for (int r = 0; r < 4; r++) {
            prep[r] = groups.gemvPrepare(xs, r * k);
            groups.gemvRange(xs, r * k, prep[r], yEach, r * n, 0, groups.gemvUnits(), true);
        }
        for (int g : new int[]{2, 4}) {
            float[] yRowsAtOnce = new float[4 * n];
            for (int r0 = 0; r0 < 4; r0 += g) {
                groups.gemvRangeRows(prep, r0, g, yRowsAtOnce, 0, 0, groups.gemvUnits(), new float[128]);
            }
            assertThat(yRowsAtOnce).as("n=" + n + " k=" + k + ": " + g + " rows at once").containsExactly(yEach);
        }
    }

    /** A block scale that is infinite or NaN (a broken file) keeps the row layout, which carries it exactly. */
    @Test
    void aNonFiniteScaleKeepsTheRowLayout() {
        int n = 20;
        MemorySegment q8 = RandomWeights.of(DType.Q8_0, n, 64, 5);
        q8.set(ValueLayout.JAVA_SHORT_UNALIGNED, 34L * 7, (short) 0x7C00); // +infinity as block 7's d
        assertThat(Q8Groups.from(q8, 0, n, 64)).isNull();
        MemorySegment q6 = RandomWeights.of(DType.Q6_K, n, 256, 5);
        q6.set(ValueLayout.JAVA_SHORT_UNALIGNED, 210L * 3 + 208, (short) 0x7E00); // NaN as block 3's d
        assertThat(Q6Groups.from(q6, 0, n, 256)).isNull();
        if (RowGroups.applies(true)) {
            assertThat(PackedWeights.pack(DType.Q8_0, q8, 0, n, 64, true)).isInstanceOf(Q8Rows.class);
            assertThat(PackedWeights.pack(DType.Q6_K, q6, 0, n, 256, true)).isInstanceOf(Q6Rows.class);
            assertThat(PackedWeights.pack(DType.Q8_0, RandomWeights.of(DType.Q8_0, n, 64, 5), 0, n, 64, true))
                    .isInstanceOf(Q8Groups.class);
            assertThat(PackedWeights.pack(DType.Q6_K, RandomWeights.of(DType.Q6_K, n, 256, 5), 0, n, 256, true))
                    .isInstanceOf(Q6Groups.class);
        }
    }
}
