package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads the 4- and 5-bit types whose weights are {@code q * scale + offset} per 32-element sub-block
 * (Q4_0, Q4_1, Q4_K, Q5_0, Q5_1, Q5_K) into plain unsigned quants and float scale/offset pairs:
 * Q4_0 offset = -8d, Q5_0 offset = -16d, Q4_1/Q5_1 offset = m, Q4_K/Q5_K scale = d*sc and offset = -(dmin*mn),
 * the products rounded to float exactly as ggml's dequantizer rounds them. Layouts: {@link dev.slmops.tensor.quant.Dequantize}.
 */
final class AffineBlocks {
    private AffineBlocks() {
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static float half(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(RowPacking.HALF, at));
    }

    /**
     * Decodes source block {@code blk} (of {@code type.blockSize} elements) into {@code q[0..blockSize)} and
     * {@code scale/offset[0..blockSize/32)}.
     */
    static void decode(DType type, MemorySegment src, long offset, long blk, int[] q, float[] scale, float[] offs) {
        long b = offset + blk * type.blockBytes;
        switch (type) {
            case Q4_0, Q4_1 -> {
                float d = half(src, b);
                long qs = b + (type == DType.Q4_0 ? 2 : 4);
                scale[0] = d;
                offs[0] = type == DType.Q4_0 ? -8f * d : half(src, b + 2);
                for (int j = 0; j < 16; j++) {
                    q[j] = u8(src, qs + j) & 0xF;
                    q[j + 16] = u8(src, qs + j) >>> 4;
                }
            }
            case Q5_0, Q5_1 -> {
                float d = half(src, b);
                long qhAt = b + (type == DType.Q5_0 ? 2 : 4);
                long qs = qhAt + 4;
                int qh = src.get(RowPacking.INT, qhAt);
                scale[0] = d;
                offs[0] = type == DType.Q5_0 ? -16f * d : half(src, b + 2);
                for (int j = 0; j < 16; j++) {
                    q[j] = (u8(src, qs + j) & 0xF) | (((qh >>> j) & 1) << 4);
                    q[j + 16] = (u8(src, qs + j) >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
                }
            }
            case Q4_K, Q5_K -> {
                float d = half(src, b), dmin = half(src, b + 2);
                long sc = b + 4;
                for (int i = 0; i < 8; i++) {
                    scale[i] = d * subScale(src, sc, i);
                    offs[i] = -(dmin * subMin(src, sc, i));
                }
                boolean five = type == DType.Q5_K;
                long qs = b + (five ? 48 : 16), qh = b + 16;
                for (int c = 0; c < 4; c++) { // 64 elements per chunk: 32 low nibbles, then 32 high nibbles
                    for (int l = 0; l < 32; l++) {
                        int byteVal = u8(src, qs + 32L * c + l);
                        int lo = byteVal & 0xF, hi = byteVal >>> 4;
                        if (five) {
                            int h = u8(src, qh + l);
                            lo |= ((h >>> (2 * c)) & 1) << 4;
                            hi |= ((h >>> (2 * c + 1)) & 1) << 4;
                        }
                        q[64 * c + l] = lo;
                        q[64 * c + 32 + l] = hi;
                    }
                }
            }
            default -> throw new IllegalArgumentException(type + " is not a 4/5-bit affine type");
        }
    }

    /**
     * The K-quants' scale fields as stored: per sub-block i of source block {@code blk}, the 6-bit scale sc[i] and
     * min mn[i] (0..63); returns the block's F16 d and dmin bits packed as (dmin << 16) | d. Its scale and offset
     * are then d * sc[i] and -(dmin * mn[i]) in float, as {@link #decode} forms them.
     */
    static int kScales(DType type, MemorySegment src, long offset, long blk, int[] sc, int[] mn) {
        if (type != DType.Q4_K && type != DType.Q5_K) throw new IllegalArgumentException(type + " is not a K-quant");
        long b = offset + blk * type.blockBytes;
        for (int i = 0; i < 8; i++) {
            sc[i] = subScale(src, b + 4, i);
            mn[i] = subMin(src, b + 4, i);
        }
        return (src.get(RowPacking.HALF, b) & 0xFFFF) | (src.get(RowPacking.HALF, b + 2) << 16);
    }

    /** ggml's get_scale_min_k4, scale half: sub-block i's 6-bit scale from the 12 bytes at {@code at}. */
    private static int subScale(MemorySegment src, long at, int i) {
        return i < 4 ? u8(src, at + i) & 63 : (u8(src, at + i + 4) & 0xF) | ((u8(src, at + i - 4) >>> 6) << 4);
    }

    /** get_scale_min_k4, min half: sub-block i's 6-bit min. */
    private static int subMin(MemorySegment src, long at, int i) {
        return i < 4 ? u8(src, at + i + 4) & 63 : (u8(src, at + i + 4) >>> 4) | ((u8(src, at + i) >>> 6) << 4);
    }
}
