package dev.slmops.tensor.quant;

import static dev.slmops.tensor.quant.QuantSearch.importanceWeights;
import static dev.slmops.tensor.quant.QuantSearch.makeQkx3Quants;
import static dev.slmops.tensor.quant.QuantSearch.makeQxQuants;
import static dev.slmops.tensor.quant.QuantSearch.sumSquares;
import static dev.slmops.tensor.quant.QuantSearch.u8;

/**
 * Q4_0, Q4_1, Q5_0 and Q5_1 with an importance matrix, as ggml's {@code quantize_row_q*_impl}: per row,
 * weights {@code qw[j]·sqrt(σ² + x[j]²)} with σ² the row's mean square, then the weighted scale search.
 * (Without importance ggml uses the plain reference quantizers in {@link Quantize}.) One instance per thread.
 */
final class WeightedLegacyQuantize {
    private final float[] weight = new float[32];
    private final byte[] L = new byte[32];
    private final byte[] laux = new byte[32];
    private final float[] min = new float[1];

    private static void putHalf(byte[] out, int at, float v) {
        short h = Float.floatToFloat16(v);
        out[at] = (byte) h;
        out[at + 1] = (byte) (h >> 8);
    }

    private static void putInt(byte[] out, int at, int v) {
        for (int k = 0; k < 4; k++) out[at + k] = (byte) (v >>> (8 * k));
    }

    /** One row of n values (a multiple of 32) into n/32 blocks of {@code type} at {@code out[oo..]}. */
    void row(int ggmlType, float[] x, int xo, int n, float[] qw, byte[] out, int oo) {
        float sigma2 = sumSquares(x, xo, n) / n;
        for (int ib = 0; ib < n / 32; ++ib) {
            int xb = xo + 32 * ib;
            importanceWeights(x, xb, qw, 32 * ib, sigma2, weight, 32);
            switch (ggmlType) {
                case 2 -> { // Q4_0: half d; 16 bytes of nibbles
                    int b = oo + 18 * ib;
                    float d = makeQxQuants(32, 8, x, xb, L, 0, 1, weight, 0);
                    putHalf(out, b, d);
                    for (int j = 0; j < 16; ++j) out[b + 2 + j] = (byte) (L[j] | (L[j + 16] << 4));
                }
                case 3 -> { // Q4_1: half d, half m; 16 bytes of nibbles
                    int b = oo + 20 * ib;
                    float d = makeQkx3Quants(32, 15, x, xb, weight, L, 0, min, 0, laux, -0.9f, 0.05f, 36, false);
                    putHalf(out, b, d);
                    putHalf(out, b + 2, -min[0]);
                    for (int j = 0; j < 16; ++j) out[b + 4 + j] = (byte) (u8(L[j]) | (u8(L[j + 16]) << 4));
                }
                case 6 -> { // Q5_0: half d; uint32 high bits; 16 bytes of low nibbles
                    int b = oo + 22 * ib;
                    float d = makeQxQuants(32, 16, x, xb, L, 0, 1, weight, 0);
                    putHalf(out, b, d);
                    putInt(out, b + 2, packQ5(out, b + 6));
                }
                case 7 -> { // Q5_1: half d, half m; uint32 high bits; 16 bytes of low nibbles
                    int b = oo + 24 * ib;
                    float d = makeQkx3Quants(32, 31, x, xb, weight, L, 0, min, 0, laux, -0.9f, 0.05f, 36, false);
                    putHalf(out, b, d);
                    putHalf(out, b + 2, -min[0]);
                    putInt(out, b + 4, packQ5(out, b + 8));
                }
                default -> throw new IllegalArgumentException("no importance-weighted legacy quantizer for ggml type " + ggmlType);
            }
        }
    }

    /** Low nibbles of L into 16 bytes at {@code qs}; returns the 32 fifth bits (bit j for value j). */
    private int packQ5(byte[] out, int qs) {
        int qh = 0;
        for (int j = 0; j < 16; ++j) {
            int xi0 = u8(L[j]);
            int xi1 = u8(L[j + 16]);
            out[qs + j] = (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        return qh;
    }
}
