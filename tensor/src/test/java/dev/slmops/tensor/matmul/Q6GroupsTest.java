package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Q6_K's row-interleaved layout ({@link Q6Groups}) against the row-major one ({@link Q6Rows}) on the same bytes, at
 * row counts that leave partial groups and panels: the vector GEMV equals its scalar twin bit for bit; both give the
 * row layout's int8 GEMV up to float summation order (the integer dots are the same); the GEMM panels and single rows
 * are bit-identical.
 */
class Q6GroupsTest {
    @Test
    void groupsMatchTheRowLayout() {
        long seed = 21;
        for (int k : new int[]{256, 768}) {
            for (int n : new int[]{1, 7, 8, 9, 16, 33, 70}) {
                MemorySegment w = RandomWeights.of(DType.Q6_K, n, k, seed++);
                Q6Groups groups = Q6Groups.from(w, 0, n, k);
                Q6Rows rows = Q6Rows.from(w, 0, n, k, true);
                float[] x = RandomWeights.activations(k, seed++);

                float[] yVector = new float[n], yScalar = new float[n], yRows = new float[n];
                groups.gemvRange(x, 0, groups.gemvPrepare(x, 0), yVector, 0, 0, groups.gemvUnits(), true);
                groups.gemvRange(x, 0, groups.gemvPrepare(x, 0), yScalar, 0, 0, groups.gemvUnits(), false);
                rows.gemvRange(x, 0, rows.gemvPrepare(x, 0), yRows, 0, 0, rows.gemvUnits(), true);
                assertThat(yVector).as("n=" + n + " k=" + k + ": vector vs scalar").containsExactly(yScalar);

                float[] wf = new float[n * k];
                dev.slmops.tensor.quant.Dequantize.toFloat(DType.Q6_K, w, 0, wf, 0, wf.length);
                for (int r = 0; r < n; r++) {
                    double absSum = 0;
                    for (int j = 0; j < k; j++) absSum += Math.abs(wf[r * k + j] * x[j]);
                    double tol = 3e-6 * absSum + 1e-6;
                    if (!(Math.abs(yVector[r] - yRows[r]) <= tol)) {
                        fail("n=" + n + " k=" + k + " row " + r + ": groups " + yVector[r] + ", rows " + yRows[r]);
                    }
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

    /** A super-block scale that is infinite or NaN (a broken file) keeps the row layout, which carries it exactly. */
    @Test
    void aNonFiniteScaleKeepsTheRowLayout() {
        int n = 20, k = 256;
        MemorySegment w = RandomWeights.of(DType.Q6_K, n, k, 5);
        w.set(ValueLayout.JAVA_SHORT_UNALIGNED, 210L * 3 + 208, (short) 0x7C00); // +infinity as block 3's d
        assertThat(Q6Groups.from(w, 0, n, k)).isNull();
        if (Q6Groups.applies(true)) assertThat(PackedWeights.pack(DType.Q6_K, w, 0, n, k, true)).isInstanceOf(Q6Rows.class);
        MemorySegment fine = RandomWeights.of(DType.Q6_K, n, k, 5);
        if (Q6Groups.applies(true)) assertThat(PackedWeights.pack(DType.Q6_K, fine, 0, n, k, true)).isInstanceOf(Q6Groups.class);
    }
}
