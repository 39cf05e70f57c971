package dev.slmops.tensor.matmul;

/**
 * How GEMM splits M activation rows into micro-kernel blocks: {@code sixes} blocks of 6 rows, then {@code fours} of
 * 4, the fewest padded rows first (any even M from 4 up is covered exactly: 8 = 4 + 4, 10 = 6 + 4, 512 = 84 x 6 + 2 x
 * 4; an odd M pads one row). The last block may hold fewer than its size live rows ({@link #live}); GEMM runs it from
 * a zero-padded copy of those rows.
 *
 * <pre>
 *   block i < sixes:  rows [6i, 6i + 6)
 *   block i >= sixes: rows [6 sixes + 4 (i - sixes), + 4)
 * </pre>
 */
record RowBlocks(int m, int sixes, int fours) {
    static RowBlocks of(int m) {
        if (m < 1) throw new IllegalArgumentException("GEMM needs at least one row, got " + m);
        int bestSixes = 0, bestFours = 0, bestRows = Integer.MAX_VALUE;
        for (int fours = 0; fours <= 2; fours++) { // three fours are two sixes
            int sixes = Math.max(0, Math.ceilDiv(m - 4 * fours, 6));
            int rows = 6 * sixes + 4 * fours;
            if (rows < bestRows) {
                bestRows = rows;
                bestSixes = sixes;
                bestFours = fours;
            }
        }
        return new RowBlocks(m, bestSixes, bestFours);
    }

    int count() {
        return sixes + fours;
    }

    /** First row of block i. */
    int start(int i) {
        return i < sixes ? 6 * i : 6 * sixes + 4 * (i - sixes);
    }

    /** Rows block i computes (6 or 4), padding included. */
    int size(int i) {
        return i < sixes ? 6 : 4;
    }

    /** Rows of block i that are real (the last block may be padded). */
    int live(int i) {
        return Math.min(size(i), m - start(i));
    }

    /** Whether the last block is padded (then it runs from a copy of its live rows). */
    boolean lastPadded() {
        return live(count() - 1) < size(count() - 1);
    }
}
