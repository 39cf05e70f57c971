package dev.slmops.tensor.matmul;

import dev.slmops.tensor.parallel.ThreadScratch;
import jdk.incubator.vector.FloatVector;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Shared helpers of the row-major quantized families: byte layouts and the row-to-panel transpose. */
final class RowPacking {
    private RowPacking() {
    }

    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Dequantizes W[row][k0 .. k0 + kc) into {@code tile[off .. off + kc)}. */
    interface RowSource {
        void dequantize(int rowIndex, float[] tile, int off);
    }

    /** Row-major [NR][kc] tile of the calling thread (a GEMM fills one per panel slab; grown on demand). */
    private static final ThreadScratch TILE = new ThreadScratch();

    /**
     * Builds the F32 panel dst[kc][NR] of panel p from rows NR*p .. NR*p + NR-1 (zeros past the last row): each
     * row is dequantized into a row-major tile first (contiguous, vectorizable), then the tile is transposed. With
     * 16 x 16 transposes, 16 rows at a time: their tile (12 KiB for KC = 192) stays in L1 between the two passes,
     * where a whole panel's (48 KiB) was read back from L2. One thread, Q8_0 4864 x 896, every panel slab once:
     * 0.6-0.85 ns per weight with the scalar transpose of whole tiles, 0.22-0.32 now (the transpose alone: 0.45 ->
     * 0.13-0.15 ns per element; a variant of one-vector permutes and blends measured the same).
     */
    static void fillPanel(int rows, int p, int kc, float[] dst, RowSource source) {
        int nr = MicroKernel.NR;
        int n0 = p * nr, live = Math.min(nr, rows - n0), strip = BLOCKS16 ? 16 : nr;
        float[] tile = TILE.atLeast(strip * kc);
        for (int j0 = 0; j0 < live; j0 += strip) {
            int n = Math.min(strip, live - j0);
            for (int j = 0; j < n; j++) source.dequantize(n0 + j0 + j, tile, j * kc);
            transposeToPanel(tile, 0, kc, n, kc, dst, j0);
        }
        padColumns(dst, live, kc);
    }

    /**
     * dst[k*NR + j] = src[srcOff + j*ld + k] for j < live, k < kc, and 0 for live <= j < NR: {@code live} rows of
     * {@code kc} floats (row stride {@code ld}) become a k-major [kc][NR] panel slab. With 16-lane vectors, 16 x 16
     * blocks at a time ({@link #transpose16}: JFR put the scalar transpose at 43% of a 32-sequence Q8_0 serving step,
     * whose GEMM expands every weight once per step); the rest, and every block on narrower machines, as
     * {@link #transposeReference} does it.
     */
    static void transposeToPanel(float[] src, int srcOff, int ld, int live, int kc, float[] dst) {
        transposeToPanel(src, srcOff, ld, live, kc, dst, 0);
        padColumns(dst, live, kc);
    }

    /** Zeros in columns live .. NR - 1 of the panel slab's kc rows. */
    private static void padColumns(float[] dst, int live, int kc) {
        int nr = MicroKernel.NR;
        if (live < nr) for (int k = 0, d = 0; k < kc; k++, d += nr) java.util.Arrays.fill(dst, d + live, d + nr, 0f);
    }

    /** dst[k*NR + j0 + j] = src[srcOff + j*ld + k] for j < n, k < kc: columns j0 .. j0 + n of the panel slab. */
    private static void transposeToPanel(float[] src, int srcOff, int ld, int n, int kc, float[] dst, int j0) {
        if (!BLOCKS16) {
            transposeColumns(src, srcOff, ld, n, kc, dst, j0);
            return;
        }
        int rows16 = n - n % 16, k16 = kc - kc % 16;
        for (int j = 0; j < rows16; j += 16) {
            for (int k = 0; k < k16; k += 16) transpose16(src, srcOff + j * ld + k, ld, dst, k * MicroKernel.NR + j0 + j);
        }
        // the k tail of those rows, then the remaining rows whole
        if (k16 < kc) transposeColumns(src, srcOff + k16, ld, rows16, kc - k16, dst, k16 * MicroKernel.NR + j0);
        transposeColumns(src, srcOff + rows16 * ld, ld, n - rows16, kc, dst, j0 + rows16);
    }

    /** Whether {@link #transposeToPanel} runs 16 x 16 vector blocks (AVX-512 and the vector path on). */
    private static final boolean BLOCKS16 = VectorPath.ENABLED && VectorPath.L == 16 && MicroKernel.NR % 16 == 0;

    /** Two-vector permute indexes of {@link #transpose16}'s stages b = 8, 4, 2, 1 (16 each): lanes of (row, row + b). */
    private static final float[] SWAP_LO = new float[64], SWAP_HI = new float[64];

    static {
        int[] bits = {8, 4, 2, 1};
        for (int s = 0; s < 4; s++) {
            int b = bits[s];
            for (int l = 0; l < 16; l++) { // lanes < 16 select from the first vector, 16.. from the second
                SWAP_LO[16 * s + l] = (l & b) == 0 ? l : 16 + l - b;   // row i: its own lane, or row i+b's lane l-b
                SWAP_HI[16 * s + l] = (l & b) == 0 ? l + b : 16 + l;   // row i+b: row i's lane l+b, or its own lane
            }
        }
    }

    /**
     * dst[k * NR + dOff + i] = src[sOff + i * ld + k] for i, k < 16: one 16 x 16 block (AVX-512) in four stages of
     * two-vector permutes (vpermt2ps), stage b swapping bit b of the row index with bit b of the column index (the
     * stages commute; together they transpose), between 16 row loads and 16 panel stores. Spelled out in 16 locals:
     * an array of vectors, or a helper taking them, would box every vector.
     */
    private static void transpose16(float[] src, int sOff, int ld, float[] dst, int dOff) {
        final var f = FloatVector.SPECIES_512;
        final int nr = MicroKernel.NR;
        FloatVector r0 = FloatVector.fromArray(f, src, sOff), r1 = FloatVector.fromArray(f, src, sOff + 1 * ld), r2 = FloatVector.fromArray(f, src, sOff + 2 * ld), r3 = FloatVector.fromArray(f, src, sOff + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(f, src, sOff + 4 * ld), r5 = FloatVector.fromArray(f, src, sOff + 5 * ld), r6 = FloatVector.fromArray(f, src, sOff + 6 * ld), r7 = FloatVector.fromArray(f, src, sOff + 7 * ld);
        FloatVector r8 = FloatVector.fromArray(f, src, sOff + 8 * ld), r9 = FloatVector.fromArray(f, src, sOff + 9 * ld), r10 = FloatVector.fromArray(f, src, sOff + 10 * ld), r11 = FloatVector.fromArray(f, src, sOff + 11 * ld);
        FloatVector r12 = FloatVector.fromArray(f, src, sOff + 12 * ld), r13 = FloatVector.fromArray(f, src, sOff + 13 * ld), r14 = FloatVector.fromArray(f, src, sOff + 14 * ld), r15 = FloatVector.fromArray(f, src, sOff + 15 * ld);
        FloatVector t, lo, hi;
        lo = FloatVector.fromArray(f, SWAP_LO, 0 * 16);
        hi = FloatVector.fromArray(f, SWAP_HI, 0 * 16);
        t = lo.selectFrom(r0, r8); r8 = hi.selectFrom(r0, r8); r0 = t; t = lo.selectFrom(r1, r9); r9 = hi.selectFrom(r1, r9); r1 = t;
        t = lo.selectFrom(r2, r10); r10 = hi.selectFrom(r2, r10); r2 = t; t = lo.selectFrom(r3, r11); r11 = hi.selectFrom(r3, r11); r3 = t;
        t = lo.selectFrom(r4, r12); r12 = hi.selectFrom(r4, r12); r4 = t; t = lo.selectFrom(r5, r13); r13 = hi.selectFrom(r5, r13); r5 = t;
        t = lo.selectFrom(r6, r14); r14 = hi.selectFrom(r6, r14); r6 = t; t = lo.selectFrom(r7, r15); r15 = hi.selectFrom(r7, r15); r7 = t;
        lo = FloatVector.fromArray(f, SWAP_LO, 1 * 16);
        hi = FloatVector.fromArray(f, SWAP_HI, 1 * 16);
        t = lo.selectFrom(r0, r4); r4 = hi.selectFrom(r0, r4); r0 = t; t = lo.selectFrom(r1, r5); r5 = hi.selectFrom(r1, r5); r1 = t;
        t = lo.selectFrom(r2, r6); r6 = hi.selectFrom(r2, r6); r2 = t; t = lo.selectFrom(r3, r7); r7 = hi.selectFrom(r3, r7); r3 = t;
        t = lo.selectFrom(r8, r12); r12 = hi.selectFrom(r8, r12); r8 = t; t = lo.selectFrom(r9, r13); r13 = hi.selectFrom(r9, r13); r9 = t;
        t = lo.selectFrom(r10, r14); r14 = hi.selectFrom(r10, r14); r10 = t; t = lo.selectFrom(r11, r15); r15 = hi.selectFrom(r11, r15); r11 = t;
        lo = FloatVector.fromArray(f, SWAP_LO, 2 * 16);
        hi = FloatVector.fromArray(f, SWAP_HI, 2 * 16);
        t = lo.selectFrom(r0, r2); r2 = hi.selectFrom(r0, r2); r0 = t; t = lo.selectFrom(r1, r3); r3 = hi.selectFrom(r1, r3); r1 = t;
        t = lo.selectFrom(r4, r6); r6 = hi.selectFrom(r4, r6); r4 = t; t = lo.selectFrom(r5, r7); r7 = hi.selectFrom(r5, r7); r5 = t;
        t = lo.selectFrom(r8, r10); r10 = hi.selectFrom(r8, r10); r8 = t; t = lo.selectFrom(r9, r11); r11 = hi.selectFrom(r9, r11); r9 = t;
        t = lo.selectFrom(r12, r14); r14 = hi.selectFrom(r12, r14); r12 = t; t = lo.selectFrom(r13, r15); r15 = hi.selectFrom(r13, r15); r13 = t;
        lo = FloatVector.fromArray(f, SWAP_LO, 3 * 16);
        hi = FloatVector.fromArray(f, SWAP_HI, 3 * 16);
        t = lo.selectFrom(r0, r1); r1 = hi.selectFrom(r0, r1); r0 = t; t = lo.selectFrom(r2, r3); r3 = hi.selectFrom(r2, r3); r2 = t;
        t = lo.selectFrom(r4, r5); r5 = hi.selectFrom(r4, r5); r4 = t; t = lo.selectFrom(r6, r7); r7 = hi.selectFrom(r6, r7); r6 = t;
        t = lo.selectFrom(r8, r9); r9 = hi.selectFrom(r8, r9); r8 = t; t = lo.selectFrom(r10, r11); r11 = hi.selectFrom(r10, r11); r10 = t;
        t = lo.selectFrom(r12, r13); r13 = hi.selectFrom(r12, r13); r12 = t; t = lo.selectFrom(r14, r15); r15 = hi.selectFrom(r14, r15); r14 = t;
        r0.intoArray(dst, dOff); r1.intoArray(dst, dOff + 1 * nr); r2.intoArray(dst, dOff + 2 * nr); r3.intoArray(dst, dOff + 3 * nr);
        r4.intoArray(dst, dOff + 4 * nr); r5.intoArray(dst, dOff + 5 * nr); r6.intoArray(dst, dOff + 6 * nr); r7.intoArray(dst, dOff + 7 * nr);
        r8.intoArray(dst, dOff + 8 * nr); r9.intoArray(dst, dOff + 9 * nr); r10.intoArray(dst, dOff + 10 * nr); r11.intoArray(dst, dOff + 11 * nr);
        r12.intoArray(dst, dOff + 12 * nr); r13.intoArray(dst, dOff + 13 * nr); r14.intoArray(dst, dOff + 14 * nr); r15.intoArray(dst, dOff + 15 * nr);
    }

    /** {@link #transposeToPanel} one element at a time: the definition. */
    static void transposeReference(float[] src, int srcOff, int ld, int live, int kc, float[] dst) {
        transposeColumns(src, srcOff, ld, live, kc, dst, 0);
        padColumns(dst, live, kc);
    }

    /**
     * dst[dOff + k*NR + j] = src[srcOff + j*ld + k] for j < n, k < kc, element by element. Four rows at a time, so
     * each pass writes a third of a cache line of the panel while reading four row streams.
     */
    private static void transposeColumns(float[] src, int srcOff, int ld, int n, int kc, float[] dst, int dOff) {
        final int nr = MicroKernel.NR;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            int s0 = srcOff + j * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
            for (int k = 0, d = dOff + j; k < kc; k++, d += nr) {
                dst[d] = src[s0 + k];
                dst[d + 1] = src[s1 + k];
                dst[d + 2] = src[s2 + k];
                dst[d + 3] = src[s3 + k];
            }
        }
        for (; j < n; j++) {
            int s = srcOff + j * ld;
            for (int k = 0, d = dOff + j; k < kc; k++, d += nr) dst[d] = src[s + k];
        }
    }
}
