package dev.slmops.tensor.quant;

import static dev.slmops.tensor.quant.QuantSearch.GROUP_MAX_EPS;
import static dev.slmops.tensor.quant.QuantSearch.importanceWeights;
import static dev.slmops.tensor.quant.QuantSearch.makeQ3Quants;
import static dev.slmops.tensor.quant.QuantSearch.makeQkx2Quants;
import static dev.slmops.tensor.quant.QuantSearch.makeQkx3Quants;
import static dev.slmops.tensor.quant.QuantSearch.makeQpQuants;
import static dev.slmops.tensor.quant.QuantSearch.makeQxQuants;
import static dev.slmops.tensor.quant.QuantSearch.nearestInt;
import static dev.slmops.tensor.quant.QuantSearch.signedAbsMax;
import static dev.slmops.tensor.quant.QuantSearch.sumSquares;
import static dev.slmops.tensor.quant.QuantSearch.u8;

/**
 * The K-quant quantizers (Q2_K .. Q6_K, super-blocks of 256 values) as ggml writes them: without an importance
 * matrix the {@code quantize_row_*_K_ref} functions, with one the {@code quantize_row_*_K_impl} searches.
 * Block layouts are documented in {@link Dequantize}; each method fills one block of {@code out} at {@code oo}
 * from {@code x[xo .. xo+256)}, with {@code qw[qo .. qo+256)} the importance of those columns (null: none).
 *
 * <p>Scratch arrays live in an instance so a row of blocks allocates nothing; one instance per thread.
 */
final class KQuantize {
    static final int QK_K = 256;

    private final byte[] L = new byte[QK_K];
    private final byte[] laux = new byte[32];
    private final byte[] ls = new byte[16];
    private final byte[] lm = new byte[16];
    private final float[] weights = new float[32];
    private final float[] scales = new float[16];
    private final float[] mins = new float[16];
    private final float[] sw = new float[16];

    private static short half(float v) {
        return Float.floatToFloat16(v);
    }

    private static float fromHalf(short h) {
        return Float.float16ToFloat(h);
    }

    private static void putHalf(byte[] out, int at, short h) {
        out[at] = (byte) h;
        out[at + 1] = (byte) (h >> 8);
    }

    /** Packs 2-bit levels L[0..256) four to a byte, as Q2_K and Q3_K store them (64 bytes at {@code at}). */
    private void pack2Bit(byte[] out, int at) {
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; ++l) {
                out[at + j / 4 + l] = (byte) (u8(L[j + l]) | (u8(L[j + l + 32]) << 2) | (u8(L[j + l + 64]) << 4)
                        | (u8(L[j + l + 96]) << 6));
            }
        }
    }

    // ---- Q2_K: scales[16] @0 (low nibble scale, high nibble min), qs[64] @16, half d @80, half dmin @82 ----

    void q2K(float[] x, int xo, float[] qw, int qo, byte[] out, int oo) {
        if (qw != null) {
            q2KWeighted(x, xo, qw, qo, out, oo);
            return;
        }
        final float q4scale = 15.f;
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 16; ++j) {
            for (int l = 0; l < 16; ++l) weights[l] = Math.abs(x[xo + 16 * j + l]);
            scales[j] = makeQkx2Quants(16, 3, x, xo + 16 * j, weights, L, 16 * j, mins, j, laux, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        short d, dmin;
        if (maxScale > 0) {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < 16; ++j) out[oo + j] = (byte) nearestInt(iscale * scales[j]);
            d = half(maxScale / q4scale);
        } else {
            for (int j = 0; j < 16; ++j) out[oo + j] = 0;
            d = half(0f);
        }
        if (maxMin > 0) {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < 16; ++j) {
                int l = nearestInt(iscale * mins[j]);
                out[oo + j] = (byte) (out[oo + j] | (l << 4));
            }
            dmin = half(maxMin / q4scale);
        } else {
            dmin = half(0f);
        }
        putHalf(out, oo + 80, d);
        putHalf(out, oo + 82, dmin);
        q2KRequantize(x, xo, out, oo, fromHalf(d), fromHalf(dmin));
        pack2Bit(out, oo + 16);
    }

    private void q2KRequantize(float[] x, int xo, byte[] out, int oo, float dAll, float mAll) {
        for (int j = 0; j < 16; ++j) {
            int sc = u8(out[oo + j]);
            final float d = dAll * (sc & 0xF);
            if (d == 0) continue;
            final float dm = mAll * (sc >> 4);
            for (int ii = 0; ii < 16; ++ii) {
                int l = nearestInt((x[xo + 16 * j + ii] + dm) / d);
                L[16 * j + ii] = (byte) Math.max(0, Math.min(3, l));
            }
        }
    }

    private void q2KWeighted(float[] x, int xo, float[] qw, int qo, byte[] out, int oo) {
        java.util.Arrays.fill(sw, 0f);
        float sigma2 = sumSquares(x, xo, QK_K) / QK_K;
        for (int j = 0; j < 16; ++j) {
            sw[j] += importanceWeights(x, xo + 16 * j, qw, qo + 16 * j, sigma2, weights, 16);
            scales[j] = makeQkx3Quants(16, 3, x, xo + 16 * j, weights, L, 16 * j, mins, j, laux, -0.9f, 0.05f, 36, false);
        }
        float dm = makeQpQuants(16, 15, scales, ls, sw);
        float mm = makeQpQuants(16, 15, mins, lm, sw);
        short d = half(dm), dmin = half(mm);
        putHalf(out, oo + 80, d);
        putHalf(out, oo + 82, dmin);
        for (int j = 0; j < 16; ++j) out[oo + j] = (byte) (u8(ls[j]) | (u8(lm[j]) << 4));
        q2KRequantize(x, xo, out, oo, fromHalf(d), fromHalf(dmin));
        pack2Bit(out, oo + 16);
    }

    // ---- Q3_K: hmask[32] @0, qs[64] @32, scales[12] @96 (16 6-bit signed scales), half d @108 ----

    void q3K(float[] x, int xo, float[] qw, int qo, byte[] out, int oo) {
        int sOff = oo + 96;
        for (int k = 0; k < 12; k++) out[sOff + k] = 0;
        short d;
        if (qw == null) {
            for (int j = 0; j < 16; ++j) scales[j] = makeQ3Quants(16, 4, x, xo + 16 * j, L, 16 * j, true);
            float maxScale = signedAbsMax(scales, 0, 16);
            if (maxScale != 0) {
                float iscale = -32.f / maxScale;
                for (int j = 0; j < 16; ++j) {
                    int l = (byte) nearestInt(iscale * scales[j]); // C: int8_t l = nearest_int(...)
                    l = Math.max(-32, Math.min(31, l)) + 32;
                    put3KScale(out, sOff, j, l);
                }
                d = half(1 / iscale);
            } else {
                d = half(0f);
            }
        } else {
            float sigma2 = 2 * sumSquares(x, xo, QK_K) / QK_K;
            for (int j = 0; j < 16; ++j) {
                sw[j] = importanceWeights(x, xo + 16 * j, qw, qo + 16 * j, sigma2, weights, 16);
                scales[j] = makeQxQuants(16, 4, x, xo + 16 * j, L, 16 * j, 1, weights, 0);
            }
            float dBlock = makeQxQuants(16, 32, scales, 0, ls, 0, 1, sw, 0);
            for (int j = 0; j < 16; ++j) put3KScale(out, sOff, j, ls[j]);
            d = half(dBlock);
        }
        putHalf(out, oo + 108, d);
        float dAll = fromHalf(d);
        for (int j = 0; j < 16; ++j) {
            int sc = j < 8 ? u8(out[sOff + j]) & 0xF : u8(out[sOff + j - 8]) >> 4;
            sc = (byte) ((sc | (((u8(out[sOff + 8 + j % 4]) >> (2 * (j / 4))) & 3) << 4)) - 32);
            float dl = dAll * sc;
            if (dl == 0) continue;
            for (int ii = 0; ii < 16; ++ii) {
                int l = nearestInt(x[xo + 16 * j + ii] / dl);
                l = Math.max(-4, Math.min(3, l));
                L[16 * j + ii] = (byte) (l + 4);
            }
        }
        for (int k = 0; k < 32; k++) out[oo + k] = 0;
        // the high bit of the first 32 levels goes to bit 0 of hmask[0..32), the next 32 to bit 1, ...
        int m = 0;
        int hm = 1;
        for (int j = 0; j < QK_K; ++j) {
            if (L[j] > 3) {
                out[oo + m] = (byte) (out[oo + m] | hm);
                L[j] -= 4;
            }
            if (++m == QK_K / 8) {
                m = 0;
                hm = (hm << 1) & 0xFF;
            }
        }
        pack2Bit(out, oo + 32);
    }

    /** Stores 6-bit scale {@code l} (0..63) of sub-block j in Q3_K's 12-byte scale field (ggml's bit order). */
    private static void put3KScale(byte[] out, int sOff, int j, int l) {
        if (j < 8) {
            out[sOff + j] = (byte) (l & 0xF);
        } else {
            out[sOff + j - 8] = (byte) (out[sOff + j - 8] | ((l & 0xF) << 4));
        }
        l >>= 4;
        out[sOff + j % 4 + 8] = (byte) (out[sOff + j % 4 + 8] | (l << (2 * (j / 4))));
    }

    // ---- Q4_K / Q5_K: half d @0, half dmin @2, scales[12] @4 (8 6-bit scales + 8 6-bit mins), then quants ----

    void q4K(float[] x, int xo, float[] qw, int qo, byte[] out, int oo) {
        q45K(x, xo, qw, qo, out, oo, 15);
        for (int j = 0, q = oo + 16; j < QK_K; j += 64, q += 32) {
            for (int l = 0; l < 32; ++l) out[q + l] = (byte) (u8(L[j + l]) | (u8(L[j + l + 32]) << 4));
        }
    }

    void q5K(float[] x, int xo, float[] qw, int qo, byte[] out, int oo) {
        q45K(x, xo, qw, qo, out, oo, 31);
        int qh = oo + 16;
        int ql = oo + 48;
        for (int k = 0; k < 32; k++) out[qh + k] = 0;
        int m1 = 1, m2 = 2;
        for (int n = 0; n < QK_K; n += 64) {
            for (int j = 0; j < 32; ++j) {
                int l1 = u8(L[n + j]);
                if (l1 > 15) {
                    l1 -= 16;
                    out[qh + j] = (byte) (out[qh + j] | m1);
                }
                int l2 = u8(L[n + j + 32]);
                if (l2 > 15) {
                    l2 -= 16;
                    out[qh + j] = (byte) (out[qh + j] | m2);
                }
                out[ql + j] = (byte) (l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
            ql += 32;
        }
    }

    /** The shared part of Q4_K and Q5_K: scale/min search, the 12 scale bytes, d, dmin, and levels L. */
    private void q45K(float[] x, int xo, float[] qw, int qo, byte[] out, int oo, int nmax) {
        int sOff = oo + 4;
        short d, dmin;
        if (qw == null) {
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; ++j) {
                float sumX2 = 0;
                for (int l = 0; l < 32; ++l) sumX2 += x[xo + 32 * j + l] * x[xo + 32 * j + l];
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; ++l) weights[l] = avX + Math.abs(x[xo + 32 * j + l]);
                scales[j] = nmax == 15
                        ? makeQkx2Quants(32, 15, x, xo + 32 * j, weights, L, 32 * j, mins, j, laux, -1.f, 0.1f, 20, false)
                        : makeQkx2Quants(32, 31, x, xo + 32 * j, weights, L, 32 * j, mins, j, laux, -0.5f, 0.1f, 15, false);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
            float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
            for (int j = 0; j < 8; ++j) {
                int lsj = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF); // C: uint8_t ls = nearest_int(..)
                int lmj = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
                put4KScaleMin(out, sOff, j, lsj, lmj);
            }
            d = half(maxScale / 63.f);
            dmin = half(maxMin / 63.f);
        } else {
            float sigma2 = 2 * sumSquares(x, xo, QK_K) / QK_K;
            float avX = (float) Math.sqrt(sigma2);
            for (int j = 0; j < 8; ++j) {
                sw[j] = importanceWeights(x, xo + 32 * j, qw, qo + 32 * j, sigma2, weights, 32);
                scales[j] = makeQkx3Quants(32, nmax, x, xo + 32 * j, weights, L, 32 * j, mins, j, laux, -0.9f, 0.05f, 36, false);
            }
            float dBlock = makeQpQuants(8, 63, scales, ls, sw);
            float mBlock = makeQpQuants(8, 63, mins, lm, sw);
            for (int j = 0; j < 8; ++j) {
                int lsj = u8(ls[j]);
                int lmj = u8(lm[j]);
                if (nmax == 31) { // Q5_K clamps again; Q4_K trusts make_qp_quants' bound
                    lsj = Math.min(63, lsj);
                    lmj = Math.min(63, lmj);
                }
                put4KScaleMin(out, sOff, j, lsj, lmj);
            }
            d = half(dBlock);
            dmin = half(mBlock);
        }
        putHalf(out, oo, d);
        putHalf(out, oo + 2, dmin);
        float dAll = fromHalf(d);
        float mAll = fromHalf(dmin);
        for (int j = 0; j < 8; ++j) {
            int sc, m;
            if (j < 4) {
                sc = u8(out[sOff + j]) & 63;
                m = u8(out[sOff + j + 4]) & 63;
            } else {
                sc = (u8(out[sOff + j + 4]) & 0xF) | ((u8(out[sOff + j - 4]) >> 6) << 4);
                m = (u8(out[sOff + j + 4]) >> 4) | ((u8(out[sOff + j]) >> 6) << 4);
            }
            final float dl = dAll * sc;
            if (dl == 0) continue;
            final float dm = mAll * m;
            for (int ii = 0; ii < 32; ++ii) {
                int l = nearestInt((x[xo + 32 * j + ii] + dm) / dl);
                L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
    }

    /** Scale and min (6 bits each) of sub-block j into the 12-byte field ({@code get_scale_min_k4}'s inverse). */
    private static void put4KScaleMin(byte[] out, int sOff, int j, int ls, int lm) {
        if (j < 4) {
            out[sOff + j] = (byte) ls;
            out[sOff + j + 4] = (byte) lm;
        } else {
            out[sOff + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
            out[sOff + j - 4] = (byte) (out[sOff + j - 4] | ((ls >> 4) << 6));
            out[sOff + j] = (byte) (out[sOff + j] | ((lm >> 4) << 6));
        }
    }

    // ---- Q6_K: ql[128] @0, qh[64] @128, int8 scales[16] @192, half d @208 ----

    void q6K(float[] x, int xo, float[] qw, int qo, byte[] out, int oo) {
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ++ib) {
            float scale = makeQxQuants(16, 32, x, xo + 16 * ib, L, 16 * ib, 1, qw, qo + 16 * ib);
            scales[ib] = scale;
            float absScale = Math.abs(scale);
            if (absScale > maxAbsScale) {
                maxAbsScale = absScale;
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            for (int k = 0; k < 210; k++) out[oo + k] = 0;
            putHalf(out, oo + 208, half(0f));
            return;
        }
        float iscale = -128.f / maxScale;
        short d = half(1 / iscale);
        putHalf(out, oo + 208, d);
        for (int ib = 0; ib < 16; ++ib) out[oo + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        float dAll = fromHalf(d);
        for (int j = 0; j < 16; ++j) {
            float dl = dAll * out[oo + 192 + j];
            if (dl == 0) continue;
            for (int ii = 0; ii < 16; ++ii) {
                int l = nearestInt(x[xo + 16 * j + ii] / dl);
                l = Math.max(-32, Math.min(31, l));
                L[16 * j + ii] = (byte) (l + 32);
            }
        }
        int ql = oo;
        int qh = oo + 128;
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; ++l) {
                int q1 = L[j + l] & 0xF;
                int q2 = L[j + l + 32] & 0xF;
                int q3 = L[j + l + 64] & 0xF;
                int q4 = L[j + l + 96] & 0xF;
                out[ql + l] = (byte) (q1 | (q3 << 4));
                out[ql + l + 32] = (byte) (q2 | (q4 << 4));
                out[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4)
                        | ((L[j + l + 96] >> 4) << 6));
            }
            ql += 64;
            qh += 32;
        }
    }
}
