package dev.slmops.tensor.matmul;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Shared helpers of the row-major quantized families: byte layouts and the row-to-panel transpose. */
final class RowPacking {
    private RowPacking() {
    }

    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Dequantizes W[row][k0 .. k0 + kc) into {@code row[0..kc)}. */
    interface RowSource {
        void dequantize(int rowIndex, float[] row);
    }

    /** Builds the F32 panel dst[kc][64] of panel p from rows 64p..64p+63 (zeros past the last row). */
    static void fillPanel(int rows, int p, int kc, float[] dst, RowSource source) {
        float[] row = new float[kc];
        int n0 = p * MicroKernel.NR;
        for (int j = 0; j < MicroKernel.NR; j++) {
            if (n0 + j < rows) {
                source.dequantize(n0 + j, row);
                for (int k = 0; k < kc; k++) dst[k * MicroKernel.NR + j] = row[k];
            } else {
                for (int k = 0; k < kc; k++) dst[k * MicroKernel.NR + j] = 0f;
            }
        }
    }
}
