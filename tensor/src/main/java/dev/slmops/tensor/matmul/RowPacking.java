package dev.slmops.tensor.matmul;

import dev.slmops.tensor.parallel.ThreadScratch;
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
     * row is dequantized into a row-major tile first (contiguous, vectorizable), then the tile is transposed.
     */
    static void fillPanel(int rows, int p, int kc, float[] dst, RowSource source) {
        int nr = MicroKernel.NR;
        float[] tile = TILE.atLeast(nr * kc);
        int n0 = p * nr, live = Math.min(nr, rows - n0);
        for (int j = 0; j < live; j++) source.dequantize(n0 + j, tile, j * kc);
        transposeToPanel(tile, 0, kc, live, kc, dst);
    }

    /**
     * dst[k*NR + j] = src[srcOff + j*ld + k] for j < live, k < kc, and 0 for live <= j < NR: {@code live} rows of
     * {@code kc} floats (row stride {@code ld}) become a k-major [kc][NR] panel slab. Four rows at a time, so each
     * pass writes a third of a cache line of the panel while reading four row streams.
     */
    static void transposeToPanel(float[] src, int srcOff, int ld, int live, int kc, float[] dst) {
        final int nr = MicroKernel.NR;
        int j = 0;
        for (; j + 4 <= live; j += 4) {
            int s0 = srcOff + j * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
            for (int k = 0, d = j; k < kc; k++, d += nr) {
                dst[d] = src[s0 + k];
                dst[d + 1] = src[s1 + k];
                dst[d + 2] = src[s2 + k];
                dst[d + 3] = src[s3 + k];
            }
        }
        for (; j < live; j++) {
            int s = srcOff + j * ld;
            for (int k = 0, d = j; k < kc; k++, d += nr) dst[d] = src[s + k];
        }
        if (live < nr) {
            for (int k = 0, d = 0; k < kc; k++, d += nr) java.util.Arrays.fill(dst, d + live, d + nr, 0f);
        }
    }
}
