package dev.slmops.tensor.matmul;

/**
 * Activation rows rounded to int8 ({@link Int8Activations}), laid out for the multi-row kernels
 * ({@link Q8MultiRow} and its siblings): per row the quants as floats, each 32-block reordered to
 * {@code x[0], x[2], .. x[14] | x[1], x[3], .. x[15] | x[16], x[18], .. x[30] | x[17], .. x[31]}, so that 8-lane
 * vectors at block offsets 0, 8, 16, 24 hold the elements that the integer kernels sum into lane i:
 * 2i, 2i+1, 2i+16 and 2i+17. Made once per call; O(M K).
 *
 * <pre>
 *   xf  [M][K]     quants as floats (reordered per block as above)
 *   d   [M][K/32]  block scales (Int8Activations.d)
 *   sum [M][K/32]  rounded block sums (Int8Activations.sum, for the offsets of the 4/5-bit families)
 * </pre>
 */
record MultiRowActivations(float[][] xf, float[][] d, float[][] sum) {
    /** Position within a 32-block, in the reordered layout, of element j. */
    private static final int[] SLOT = new int[32];

    static {
        for (int j = 0; j < 32; j++) SLOT[j] = (j & 16) + ((j & 1) << 3) + ((j & 15) >> 1);
    }

    /** From each row's prepared {@link Int8Activations} (prep[r], as {@link PackedWeights#gemvPrepare} made it). */
    static MultiRowActivations of(Object[] prep) {
        int m = prep.length;
        float[][] xf = new float[m][], d = new float[m][], sum = new float[m][];
        float[][] reused = reusedRows(m);
        for (int r = 0; r < m; r++) {
            Int8Activations a = (Int8Activations) prep[r];
            short[] q = a.q();
            if (reused[r].length < q.length) reused[r] = new float[q.length];
            float[] f = reused[r];
            for (int b = 0; b < q.length; b += 32) {
                for (int j = 0; j < 32; j++) f[b + SLOT[j]] = q[b + j];
            }
            xf[r] = f;
            d[r] = a.d();
            sum[r] = a.sum();
        }
        return new MultiRowActivations(xf, d, sum);
    }

    /**
     * The calling thread's float rows (reused across calls: fresh [M][K] arrays per matmul were the largest part of a
     * batched decode step's garbage; a matmul finishes before its thread starts the next, so one set per thread does).
     * Rows may be longer than K: the kernels read K elements.
     */
    private static final ThreadLocal<float[][]> ROWS = ThreadLocal.withInitial(() -> new float[0][]);

    private static float[][] reusedRows(int m) {
        float[][] rows = ROWS.get();
        if (rows.length < m) {
            float[][] grown = java.util.Arrays.copyOf(rows, m);
            for (int r = rows.length; r < m; r++) grown[r] = new float[0];
            ROWS.set(rows = grown);
        }
        return rows;
    }

    /** {@code VectorMath.sum}'s tree over the 8 lanes t[o..o+8): ((0+4)+(2+6))+((1+5)+(3+7)), the GEMV's last step. */
    static float treeSum8(float[] t, int o) {
        return ((t[o] + t[o + 4]) + (t[o + 2] + t[o + 6])) + ((t[o + 1] + t[o + 5]) + (t[o + 3] + t[o + 7]));
    }
}
