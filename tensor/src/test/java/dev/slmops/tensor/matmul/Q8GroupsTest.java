package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Q8_0's row-interleaved layout ({@link Q8Groups}) against the row-major one ({@link Q8Rows}) on the same bytes, at
 * row counts that leave partial groups and panels: the vector GEMV equals its scalar twin bit for bit, and the
 * multi-row kernels equal it too; both give the row layout's int8 GEMV up to float summation order (the integer dots
 * are the same); the GEMM panels and single rows are bit-identical.
 */
class Q8GroupsTest {
    @Test
    void groupsMatchTheRowLayout() {
        long seed = 21;
        for (int k : new int[]{32, 96, 288, 576}) {
            for (int n : new int[]{1, 7, 8, 9, 16, 33, 70}) {
                MemorySegment w = RandomWeights.of(DType.Q8_0, n, k, seed++);
                Q8Groups groups = Q8Groups.from(w, 0, n, k);
                Q8Rows rows = Q8Rows.from(w, 0, n, k, true);
                float[] x = RandomWeights.activations(k, seed++);

                float[] yVector = new float[n], yScalar = new float[n], yRows = new float[n];
                groups.gemvRange(x, 0, groups.gemvPrepare(x, 0), yVector, 0, 0, groups.gemvUnits(), true);
                groups.gemvRange(x, 0, groups.gemvPrepare(x, 0), yScalar, 0, 0, groups.gemvUnits(), false);
                rows.gemvRange(x, 0, rows.gemvPrepare(x, 0), yRows, 0, 0, rows.gemvUnits(), true);
                assertThat(yVector).as("n=" + n + " k=" + k + ": vector vs scalar").containsExactly(yScalar);

                float[] wf = new float[n * k];
                dev.slmops.tensor.quant.Dequantize.toFloat(DType.Q8_0, w, 0, wf, 0, wf.length);
                for (int r = 0; r < n; r++) {
                    double absSum = 0;
                    for (int j = 0; j < k; j++) absSum += Math.abs(wf[r * k + j] * x[j]);
                    double tol = 3e-6 * absSum + 1e-6;
                    if (!(Math.abs(yVector[r] - yRows[r]) <= tol)) {
                        fail("n=" + n + " k=" + k + " row " + r + ": groups " + yVector[r] + ", rows " + yRows[r]);
                    }
                }

                float[] xs = new float[4 * k];
                for (int r = 0; r < 4; r++) System.arraycopy(RandomWeights.activations(k, seed++), 0, xs, r * k, k);
                Object[] prep = new Object[4];
                float[] yEach = new float[4 * n];
                for (int r = 0; r < 4; r++) {
                    prep[r] = groups.gemvPrepare(xs, r * k);
                    groups.gemvRange(xs, r * k, prep[r], yEach, r * n, 0, groups.gemvUnits(), true);
                }
                for (int g : new int[]{2, 4}) {
                    float[] yRowsAtOnce = new float[4 * n];
                    for (int r0 = 0; r0 < 4; r0 += g) {
                        groups.gemvRangeRows(groups.multiRowPrepare(prep), r0, g, yRowsAtOnce, 0, 0, groups.gemvUnits(),
                                new float[128]);
                    }
                    assertThat(yRowsAtOnce).as("n=" + n + " k=" + k + ": " + g + " rows at once").containsExactly(yEach);
                }

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

    /** A block scale that is infinite or NaN (a broken file) keeps the row layout, which carries it exactly. */
    @Test
    void aNonFiniteScaleKeepsTheRowLayout() {
        int n = 20, k = 64;
        MemorySegment w = RandomWeights.of(DType.Q8_0, n, k, 5);
        w.set(ValueLayout.JAVA_SHORT_UNALIGNED, 34L * 7, (short) 0x7C00); // +infinity as block 7's d
        assertThat(Q8Groups.from(w, 0, n, k)).isNull();
        if (Q8Groups.applies(true)) assertThat(PackedWeights.pack(DType.Q8_0, w, 0, n, k, true)).isInstanceOf(Q8Rows.class);
        MemorySegment fine = RandomWeights.of(DType.Q8_0, n, k, 5);
        if (Q8Groups.applies(true)) assertThat(PackedWeights.pack(DType.Q8_0, fine, 0, n, k, true)).isInstanceOf(Q8Groups.class);
    }
}
