package dev.slmops.tensor.matmul;

/**
 * Activation rows rounded to int8 ({@link Int8Activations}), laid out for the multi-row kernels
 * ({@link Q8MultiRow} and its siblings): per row the quants as floats, each 32-block reordered to
 * {@code x[0], x[2], .. x[14] | x[1], x[3], .. x[15] | x[16], x[18], .. x[30] | x[17], .. x[31]}, so that 8-lane
 * vectors at block offsets 0, 8, 16, 24 hold the elements that the integer kernels sum into lane i:
 * 2i, 2i+1, 2i+16 and 2i+17. Made once per call; O(M K).
 *
 * <p>For the 16-lane kernel ({@link Q8MultiRow#dotRows4Wide2}) the blocks go in pairs (b even, b+1), and the four
 * 8-float runs of the two blocks interleave: run t of block b, then run t of block b+1, for t = 0..3, so that a
 * 16-lane vector at offset 16t of the pair holds block b's run t in lanes 0..7 and block b+1's in lanes 8..15 (the
 * GEMV's two accumulators, even and odd blocks, side by side); {@code d8} repeats each block scale 8 times.
 *
 * <pre>
 *   xf  [M][K]       quants as floats (reordered per block, or per block pair, as above)
 *   d   [M][K/32]    block scales (Int8Activations.d)
 *   sum [M][K/32]    rounded block sums (Int8Activations.sum, for the offsets of the 4/5-bit families)
 *   d8  [M][K/4]     block pairs: d[b] x 8, then d[b+1] x 8 (null for the 8-lane layout)
 * </pre>
 */
record MultiRowActivations(float[][] xf, float[][] d, float[][] sum, float[][] d8) {
    /** Position within a 32-block, in the reordered layout, of element j. */
    private static final int[] SLOT = new int[32];

    /** Position within a 64-element block pair, in the paired layout, of element j of block e (at 32e + j). */
    private static final int[] PAIR_SLOT = new int[64];

    static {
        for (int j = 0; j < 32; j++) SLOT[j] = (j & 16) + ((j & 1) << 3) + ((j & 15) >> 1);
        for (int e = 0; e < 2; e++) {
            for (int j = 0; j < 32; j++) PAIR_SLOT[32 * e + j] = 16 * (SLOT[j] / 8) + 8 * e + SLOT[j] % 8;
        }
    }

    /**
     * From each row's prepared {@link Int8Activations} (prep[r], as {@link PackedWeights#gemvPrepare} made it), in the
     * paired layout when {@code pairs} (K a multiple of 64).
     */
    static MultiRowActivations of(Object[] prep, boolean pairs) {
        int m = prep.length;
        float[][] xf = new float[m][], d = new float[m][], sum = new float[m][], d8 = pairs ? new float[m][] : null;
        float[][] reused = reusedRows(ROWS, m), reused8 = pairs ? reusedRows(SCALES, m) : null;
        for (int r = 0; r < m; r++) {
            Int8Activations a = (Int8Activations) prep[r];
            short[] q = a.q();
            if (reused[r].length < q.length) reused[r] = new float[q.length];
            float[] f = reused[r];
            if (pairs) {
                for (int b = 0; b < q.length; b += 64) {
                    for (int j = 0; j < 64; j++) f[b + PAIR_SLOT[j]] = q[b + j];
                }
                float[] bd = a.d();
                if (reused8[r].length < 8 * bd.length) reused8[r] = new float[8 * bd.length];
                for (int b = 0; b < bd.length; b++) java.util.Arrays.fill(reused8[r], 8 * b, 8 * b + 8, bd[b]);
                d8[r] = reused8[r];
            } else {
                for (int b = 0; b < q.length; b += 32) {
                    for (int j = 0; j < 32; j++) f[b + SLOT[j]] = q[b + j];
                }
            }
            xf[r] = f;
            d[r] = a.d();
            sum[r] = a.sum();
        }
        return new MultiRowActivations(xf, d, sum, d8);
    }

    /**
     * The calling thread's float rows (reused across calls: fresh [M][K] arrays per matmul were the largest part of a
     * batched decode step's garbage; a matmul finishes before its thread starts the next, so one set per thread does).
     * Rows may be longer than K: the kernels read K elements.
     */
    private static final ThreadLocal<float[][]> ROWS = ThreadLocal.withInitial(() -> new float[0][]);
    /** The same for the repeated scales of the paired layout. */
    private static final ThreadLocal<float[][]> SCALES = ThreadLocal.withInitial(() -> new float[0][]);

    private static float[][] reusedRows(ThreadLocal<float[][]> holder, int m) {
        float[][] rows = holder.get();
        if (rows.length < m) {
            float[][] grown = java.util.Arrays.copyOf(rows, m);
            for (int r = rows.length; r < m; r++) grown[r] = new float[0];
            holder.set(rows = grown);
        }
        return rows;
    }

    /** {@code VectorMath.sum}'s tree over the 8 lanes t[o..o+8): ((0+4)+(2+6))+((1+5)+(3+7)), the GEMV's last step. */
    static float treeSum8(float[] t, int o) {
        return ((t[o] + t[o + 4]) + (t[o + 2] + t[o + 6])) + ((t[o + 1] + t[o + 5]) + (t[o + 3] + t[o + 7]));
    }
}
