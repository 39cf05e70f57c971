package dev.slmops.tensor.quant;

import dev.slmops.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Reference (scalar, readable) dequantization of ggml's storage types into F32.
 *
 * <p>Every layout below is one block, little-endian, with byte offsets from the start of the block. "half" is an
 * IEEE binary16; the float arithmetic is written in the same order as ggml's reference C code, so results are
 * bit-identical to ggml's {@code dequantize_row_*} (the test compares against libggml-base itself).
 *
 * <p>This is the oracle and the load-time path (repacking); the fast kernels live in {@code dev.slmops.tensor.matmul}.
 */
public final class Dequantize {
    private Dequantize() {
    }

    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Dequantizes {@code n} elements of type {@code type} stored at {@code src[srcOffset..]} into
     * {@code dst[dstOffset .. dstOffset + n)}. {@code n} must be a whole number of blocks of {@code type}.
     */
    public static void toFloat(DType type, MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        if (n < 0 || dstOffset < 0 || dstOffset + n > dst.length) {
            throw new IndexOutOfBoundsException("cannot write " + n + " floats at " + dstOffset + " into float[" + dst.length + "]");
        }
        long bytes = type.bytesFor(n); // checks whole blocks
        if (srcOffset < 0 || srcOffset + bytes > src.byteSize()) {
            throw new IndexOutOfBoundsException(n + " " + type + " elements need " + bytes + " bytes at offset " + srcOffset
                    + " but the segment holds " + src.byteSize());
        }
        int blocks = n / type.blockSize;
        long b = srcOffset;
        int y = dstOffset;
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) dst[y + i] = src.get(FLOAT, b + 4L * i);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst[y + i] = Float.float16ToFloat(src.get(HALF, b + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[y + i] = FloatConversions.bf16ToF32(src.get(HALF, b + 2L * i));
            }
            case Q8_0 -> { for (int i = 0; i < blocks; i++, b += 34, y += 32) q8_0(src, b, dst, y); }
            case Q4_0 -> { for (int i = 0; i < blocks; i++, b += 18, y += 32) q4_0(src, b, dst, y); }
            case Q4_1 -> { for (int i = 0; i < blocks; i++, b += 20, y += 32) q4_1(src, b, dst, y); }
            case Q5_0 -> { for (int i = 0; i < blocks; i++, b += 22, y += 32) q5_0(src, b, dst, y); }
            case Q5_1 -> { for (int i = 0; i < blocks; i++, b += 24, y += 32) q5_1(src, b, dst, y); }
            case Q2_K -> { for (int i = 0; i < blocks; i++, b += 84, y += 256) q2_K(src, b, dst, y); }
            case Q3_K -> { for (int i = 0; i < blocks; i++, b += 110, y += 256) q3_K(src, b, dst, y); }
            case Q4_K -> { for (int i = 0; i < blocks; i++, b += 144, y += 256) q4_K(src, b, dst, y); }
            case Q5_K -> { for (int i = 0; i < blocks; i++, b += 176, y += 256) q5_K(src, b, dst, y); }
            case Q6_K -> { for (int i = 0; i < blocks; i++, b += 210, y += 256) q6_K(src, b, dst, y); }
            case Q8_K -> { for (int i = 0; i < blocks; i++, b += 292, y += 256) q8_K(src, b, dst, y); }
            default -> throw new UnsupportedOperationException("cannot dequantize " + type
                    + ": supported are F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K");
        }
    }

    /** Convenience: dequantizes all of {@code src} (a whole number of blocks) into a new array. */
    public static float[] toFloat(DType type, MemorySegment src, int n) {
        float[] out = new float[n];
        toFloat(type, src, 0, out, 0, n);
        return out;
    }

    static float half(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(HALF, at));
    }

    static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    static int i8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at);
    }

    /** Q8_0, 34 bytes: [0] half d; [2..34) int8 q[32]. x[j] = q[j] * d. */
    static void q8_0(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b);
        for (int j = 0; j < 32; j++) y[o + j] = i8(s, b + 2 + j) * d;
    }

    /**
     * Q4_0, 18 bytes: [0] half d; [2..18) 16 bytes of nibbles. Byte j holds element j in its low nibble and
     * element j+16 in its high nibble. x = (nibble - 8) * d.
     */
    static void q4_0(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, b + 2 + j);
            y[o + j] = ((q & 0xF) - 8) * d;
            y[o + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    /** Q4_1, 20 bytes: [0] half d; [2] half m; [4..20) nibbles as Q4_0. x = nibble * d + m. */
    static void q4_1(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b), m = half(s, b + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, b + 4 + j);
            y[o + j] = (q & 0xF) * d + m;
            y[o + j + 16] = (q >>> 4) * d + m;
        }
    }

    /**
     * Q5_0, 22 bytes: [0] half d; [2..6) uint32 qh, bit j = 5th bit of element j; [6..22) low nibbles as Q4_0.
     * x = (q5 - 16) * d.
     */
    static void q5_0(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b);
        int qh = s.get(INT, b + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, b + 6 + j);
            int hi0 = ((qh >>> j) << 4) & 0x10;
            int hi1 = (qh >>> (j + 12)) & 0x10;
            y[o + j] = (((q & 0xF) | hi0) - 16) * d;
            y[o + j + 16] = (((q >>> 4) | hi1) - 16) * d;
        }
    }

    /** Q5_1, 24 bytes: [0] half d; [2] half m; [4..8) uint32 qh; [8..24) low nibbles. x = q5 * d + m. */
    static void q5_1(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b), m = half(s, b + 2);
        int qh = s.get(INT, b + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, b + 8 + j);
            int hi0 = ((qh >>> j) << 4) & 0x10;
            int hi1 = (qh >>> (j + 12)) & 0x10;
            y[o + j] = ((q & 0xF) | hi0) * d + m;
            y[o + j + 16] = ((q >>> 4) | hi1) * d + m;
        }
    }

    /**
     * Q2_K, 84 bytes, 16 sub-blocks of 16: [0..16) scales (low nibble scale, high nibble min, per sub-block);
     * [16..80) 2-bit quants; [80] half d; [82] half dmin. Each 128-element half uses 32 quant bytes: element
     * 32*j' + l (j' = 0..3 shift pairs) is bits (2*j') of byte l (l < 32). x = d*sc * q - dmin*mn.
     */
    static void q2_K(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b + 80), min = half(s, b + 82);
        int is = 0;
        for (int n = 0; n < 256; n += 128) {
            long q = b + 16 + n / 4; // 32 bytes per 128 elements
            int shift = 0;
            for (int j = 0; j < 4; j++) {
                int sc = u8(s, b + is++);
                float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l++) y[o++] = dl * ((u8(s, q + l) >>> shift) & 3) - ml;
                sc = u8(s, b + is++);
                dl = d * (sc & 0xF);
                ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l++) y[o++] = dl * ((u8(s, q + l + 16) >>> shift) & 3) - ml;
                shift += 2;
            }
        }
    }

    /**
     * Q3_K, 110 bytes, 16 sub-blocks of 16: [0..32) hmask (bit k of byte l = high bit of element 32*k + l,
     * "set" means no -4); [32..96) 2-bit quants as Q2_K; [96..108) 16 6-bit signed scales (+32 bias), packed:
     * low 4 bits in bytes 0..7 (nibbles), high 2 bits in bytes 8..11; [108] half d. x = d*(sc-32) * (q2 - 4*!h).
     */
    static void q3_K(MemorySegment s, long b, float[] y, int o) {
        float dAll = half(s, b + 108);
        int[] scales = q3kScales(s, b + 96);
        int is = 0;
        int m = 1;
        for (int n = 0; n < 256; n += 128) {
            long q = b + 32 + n / 4;
            int shift = 0;
            for (int j = 0; j < 4; j++) {
                float dl = dAll * (scales[is++] - 32);
                for (int l = 0; l < 16; l++) {
                    int h = (u8(s, b + l) & m) != 0 ? 0 : 4;
                    y[o++] = dl * (((u8(s, q + l) >>> shift) & 3) - h);
                }
                dl = dAll * (scales[is++] - 32);
                for (int l = 0; l < 16; l++) {
                    int h = (u8(s, b + l + 16) & m) != 0 ? 0 : 4;
                    y[o++] = dl * (((u8(s, q + l + 16) >>> shift) & 3) - h);
                }
                shift += 2;
                m <<= 1;
            }
        }
    }

    /** The 16 unbiased-by-nothing 6-bit Q3_K scales (0..63; subtract 32 to use) from their 12 packed bytes. */
    static int[] q3kScales(MemorySegment s, long at) {
        int[] sc = new int[16];
        for (int i = 0; i < 16; i++) {
            int low = i < 8 ? u8(s, at + i) & 0xF : u8(s, at + i - 8) >>> 4;
            int high = (u8(s, at + 8 + (i % 4)) >>> (2 * (i / 4))) & 3;
            sc[i] = low | (high << 4);
        }
        return sc;
    }

    /**
     * The 6-bit scale (index 0) and min (index 1) of sub-block j (0..7) of a Q4_K/Q5_K block, from the 12 packed
     * bytes at {@code at}: sub-blocks 0..3 keep scale/min in the low 6 bits of bytes j / j+4; sub-blocks 4..7 keep
     * their low 4 bits in the nibbles of byte j+4 and their high 2 bits in the top bits of bytes j-4 / j.
     */
    static int scaleK4(MemorySegment s, long at, int j) {
        return j < 4 ? u8(s, at + j) & 63
                : (u8(s, at + j + 4) & 0xF) | ((u8(s, at + j - 4) >>> 6) << 4);
    }

    static int minK4(MemorySegment s, long at, int j) {
        return j < 4 ? u8(s, at + j + 4) & 63
                : (u8(s, at + j + 4) >>> 4) | ((u8(s, at + j) >>> 6) << 4);
    }

    /**
     * Q4_K, 144 bytes, 8 sub-blocks of 32: [0] half d; [2] half dmin; [4..16) 6-bit scales and mins (see
     * {@link #scaleK4}); [16..144) nibbles: each 64 elements use 32 bytes, the first 32 elements in the low
     * nibbles, the next 32 in the high ones. x = d*sc * q - dmin*mn.
     */
    static void q4_K(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b), min = half(s, b + 2);
        long q = b + 16;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
            float d1 = d * scaleK4(s, b + 4, is), m1 = min * minK4(s, b + 4, is);
            float d2 = d * scaleK4(s, b + 4, is + 1), m2 = min * minK4(s, b + 4, is + 1);
            for (int l = 0; l < 32; l++) y[o++] = d1 * (u8(s, q + l) & 0xF) - m1;
            for (int l = 0; l < 32; l++) y[o++] = d2 * (u8(s, q + l) >>> 4) - m2;
        }
    }

    /**
     * Q5_K, 176 bytes: [0] half d; [2] half dmin; [4..16) scales/mins as Q4_K; [16..48) qh: bit (2*k) and
     * (2*k+1) of byte l are the 5th bits of elements 64*k + l and 64*k + 32 + l; [48..176) nibbles as Q4_K.
     */
    static void q5_K(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b), min = half(s, b + 2);
        long ql = b + 48, qh = b + 16;
        int u1 = 1, u2 = 2;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
            float d1 = d * scaleK4(s, b + 4, is), m1 = min * minK4(s, b + 4, is);
            float d2 = d * scaleK4(s, b + 4, is + 1), m2 = min * minK4(s, b + 4, is + 1);
            for (int l = 0; l < 32; l++) {
                y[o++] = d1 * ((u8(s, ql + l) & 0xF) + ((u8(s, qh + l) & u1) != 0 ? 16 : 0)) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[o++] = d2 * ((u8(s, ql + l) >>> 4) + ((u8(s, qh + l) & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }

    /**
     * Q6_K, 210 bytes, 16 sub-blocks of 16: [0..128) low nibbles; [128..192) high 2 bits; [192..208) int8
     * scales; [208] half d. Per 128 elements (64 ql bytes, 32 qh bytes, 8 scales), element l + 32*k (l < 32,
     * k = 0..3) takes nibble (k/2 ? high : low) of ql[l + 32*(k%2)] and bits 2k..2k+1 of qh[l].
     * x = d * sc * (q6 - 32).
     */
    static void q6_K(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b + 208);
        long ql = b, qh = b + 128, sc = b + 192;
        for (int n = 0; n < 256; n += 128, o += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qh + l);
                int q1 = ((u8(s, ql + l) & 0xF) | (((h >>> 0) & 3) << 4)) - 32;
                int q2 = ((u8(s, ql + l + 32) & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((u8(s, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((u8(s, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[o + l] = d * i8(s, sc + is) * q1;
                y[o + l + 32] = d * i8(s, sc + is + 2) * q2;
                y[o + l + 64] = d * i8(s, sc + is + 4) * q3;
                y[o + l + 96] = d * i8(s, sc + is + 6) * q4;
            }
        }
    }

    /** Q8_K, 292 bytes: [0] float d; [4..260) int8 q[256]; [260..292) int16 sums of 16 (unused here). x = d*q. */
    static void q8_K(MemorySegment s, long b, float[] y, int o) {
        float d = s.get(FLOAT, b);
        for (int j = 0; j < 256; j++) y[o + j] = d * i8(s, b + 4 + j);
    }
}
