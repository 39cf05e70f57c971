package dev.slmops.tensor.matmul;

import dev.slmops.tensor.parallel.WorkerPool;

/**
 * A few activation rows (2..31: batched decode) against quantized weights, y[M, N] = x[M, K] . W[N, K]^T, reading
 * the weights from memory once for all rows. Per-row GEMVs stream the whole matrix M times, and decode is
 * bandwidth-bound; here each task walks its output rows in small blocks (about {@link #BLOCK_BYTES} of weights, so
 * L1-resident), and runs every activation row over a block before moving on. Each row's arithmetic is the GEMV's own
 * ({@link PackedWeights#gemvRange}, with int8 activations where that family rounds x to int8), so the results are
 * bit-identical to M separate GEMVs; only the order of memory traffic changes.
 *
 * <p>Families with a multi-row int8 kernel ({@link PackedWeights#hasMultiRowInt8}) run it instead: each weight
 * block is unpacked once for 4 (then 2) activation rows, and each row's arithmetic is still its GEMV's (same bits).
 * Q8_0's row groups ({@link Q8Groups}) widen a chunk once for 2 rows: 0.024 ns per weight and row against 0.022 for
 * one GEMV per row (one thread, Zen 5, 8 rows, MultiRowDecodeBenchmark; its row-major predecessor took 0.036 and
 * 0.10). The nibble groups ({@link NibbleGroups}: Q4_0, Q4_1, Q4_K, and the 5-bit Q5_0, Q5_1, Q5_K below 8 rows)
 * widen a chunk and split its nibbles once for 4 rows: 0.032-0.034 vs 0.046-0.052 ns per weight and row for the
 * blocked path (4-bit; best of 400 calls, 8 rows, one thread, Zen 3, both shapes).
 */
final class QuantRowsBatch {
    /** Weight bytes per block of output rows that all activation rows go over together (fits a 32 KiB L1d). */
    static final int BLOCK_BYTES = 16 * 1024;

    private QuantRowsBatch() {
    }

    /** Whether {@code w} takes this path for {@code m} rows: quantized row families below the GEMM threshold. */
    static boolean applies(PackedWeights w, int m) {
        return m > 1 && m < w.gemmMinRows() && !(w instanceof PanelWeights);
    }

    /**
     * Whether weights with a multi-row int8 kernel ({@link PackedWeights#hasMultiRowInt8}) use it ({@code
     * -Dslmops.multiRow=false} runs one GEMV kernel per row over each block instead: same bits, for A/B timing).
     */
    static final boolean MULTI_ROW = !"false".equalsIgnoreCase(System.getProperty("slmops.multiRow"));
    /** y[M, N] = x[M, K] . W^T for {@code m} rows, as m GEMVs would compute it; runs on {@code pool}. */
    static void matmul(PackedWeights w, float[] x, int xOff, float[] y, int yOff, int m, WorkerPool pool,
                       boolean vector) {
        matmul(w, x, xOff, y, yOff, m, pool, vector, MULTI_ROW);
    }

    /** {@link #matmul}, choosing whether a multi-row int8 kernel runs where there is one (benchmarks compare). */
    static void matmul(PackedWeights w, float[] x, int xOff, float[] y, int yOff, int m, WorkerPool pool,
                       boolean vector, boolean multiRow) {
        matmul(w, x, xOff, prepare(w, x, xOff, m, pool), y, yOff, m, pool, VectorPath.honoured(vector), multiRow);
    }

    /**
     * Per row of x, what {@code w}'s GEMV derives from it once (int8-rounded x, block sums; {@link
     * PackedWeights#gemvPrepare}), rows in parallel: done serially, the int8 rounding of 8 rows took ~4% of a batched
     * decode step while the other threads waited (qwen2.5-0.5b Q4_0, 8 sequences). Weights for which {@link
     * PackedWeights#sharesGemvPrep} holds can use the same result.
     */
    static Object[] prepare(PackedWeights w, float[] x, int xOff, int m, WorkerPool pool) {
        Object[] prep = new Object[m];
        pool.parallelFor(m, r -> prep[r] = w.gemvPrepare(x, xOff + r * w.cols));
        return prep;
    }

    /** {@link #matmul} on rows already {@linkplain #prepare prepared}. */
    static void matmul(PackedWeights w, float[] x, int xOff, Object[] prep, float[] y, int yOff, int m, WorkerPool pool,
                       boolean vector, boolean multiRow) {
        int units = w.gemvUnits();
        int tasks = PackedWeights.taskCount(units, pool, w.gemvMinUnitsPerTask());
        int unitsPerBlock = Math.max(1, BLOCK_BYTES / Math.max(1, bytesPerUnit(w)));
        if (multiRow && vector && w.hasMultiRowInt8()) {
            pool.parallelFor(tasks, t -> multiRowRange(w, x, xOff, prep, y, yOff, m,
                    (int) ((long) units * t / tasks), (int) ((long) units * (t + 1) / tasks), unitsPerBlock));
            return;
        }
        pool.parallelFor(tasks, t -> {
            int u0 = (int) ((long) units * t / tasks), u1 = (int) ((long) units * (t + 1) / tasks);
            for (int b0 = u0; b0 < u1; b0 += unitsPerBlock) {
                int b1 = Math.min(u1, b0 + unitsPerBlock);
                for (int r = 0; r < m; r++) {
                    w.gemvRange(x, xOff + r * w.cols, prep[r], y, yOff + r * w.rows, b0, b1, vector);
                }
            }
        });
    }

    /**
     * Output rows [n0, n1) of all m activation rows with the multi-row kernels: per L1-sized block of output rows,
     * activation rows in groups of 4 (then 2); an odd last row runs the GEMV kernel.
     */
    private static void multiRowRange(PackedWeights w, float[] x, int xOff, Object[] prep,
                                      float[] y, int yOff, int m, int n0, int n1, int unitsPerBlock) {
        float[] scratch = new float[64]; // the kernels' lane sums or outputs (4 rows x 16 at most), one per task
        for (int b0 = n0; b0 < n1; b0 += unitsPerBlock) {
            int b1 = Math.min(n1, b0 + unitsPerBlock);
            int r = 0;
            for (; r + 4 <= m; r += 4) w.gemvRangeRows(prep, r, 4, y, yOff, b0, b1, scratch);
            for (; r + 2 <= m; r += 2) w.gemvRangeRows(prep, r, 2, y, yOff, b0, b1, scratch);
            if (r < m) w.gemvRange(x, xOff + r * w.cols, prep[r], y, yOff + r * w.rows, b0, b1, true);
        }
    }

    /** Approximate weight bytes one GEMV unit (an output row) reads: K times the family's bits per weight. */
    static int bytesPerUnit(PackedWeights w) {
        int units = w.gemvUnits();
        long perUnitWeights = (long) w.rows * w.cols / Math.max(1, units);
        int bits = switch (w.dtype) {
            case Q4_0, Q4_1, Q4_K -> 5;
            case Q5_0, Q5_1, Q5_K -> 6;
            case Q6_K -> 7;
            default -> 9; // Q8_0: int8 plus an F16 scale per 32 (8.5 bits), rounded up
        };
        return (int) Math.min(Integer.MAX_VALUE, perUnitWeights * bits / 8);
    }
}
