package dev.slmops.tensor.quant;

import dev.slmops.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference quantizers for the simple block types (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) plus F32/F16/BF16, producing
 * exactly the bytes ggml's {@code quantize_row_*_ref} functions produce (the deterministic ones llama.cpp uses to
 * write model files); {@link #rows} adds the K-quants ({@link KQuantize}) and the importance-weighted searches,
 * as {@code ggml_quantize_chunk}. Block layouts are documented in {@link Dequantize}.
 *
 * <p>Floating-point steps follow ggml's C order in float (binary32) arithmetic so rounding matches bit for bit;
 * C's {@code roundf} (half away from zero) and the float-to-int truncation are written out explicitly.
 */
public final class Quantize {
    private Quantize() {
    }

    /**
     * Quantizes {@code src[srcOffset .. srcOffset + n)} into {@code type}'s blocks written at
     * {@code dst[dstOffset ..]}. {@code n} must be a whole number of blocks.
     */
    public static void fromFloat(DType type, float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        long bytes = type.bytesFor(n);
        if (srcOffset < 0 || n < 0 || srcOffset + n > src.length) {
            throw new IndexOutOfBoundsException("cannot read " + n + " floats at " + srcOffset + " from float[" + src.length + "]");
        }
        if (dstOffset < 0 || dstOffset + bytes > dst.byteSize()) {
            throw new IndexOutOfBoundsException(n + " " + type + " elements need " + bytes + " bytes at offset " + dstOffset
                    + " but the segment holds " + dst.byteSize());
        }
        int blocks = n / type.blockSize;
        long b = dstOffset;
        int x = srcOffset;
        switch (type) {
            case F32 -> { for (int i = 0; i < n; i++) dst.set(Dequantize.FLOAT, b + 4L * i, src[x + i]); }
            case F16 -> { for (int i = 0; i < n; i++) dst.set(Dequantize.HALF, b + 2L * i, Float.floatToFloat16(src[x + i])); }
            case BF16 -> { for (int i = 0; i < n; i++) dst.set(Dequantize.HALF, b + 2L * i, FloatConversions.f32ToBf16(src[x + i])); }
            case Q8_0 -> { for (int i = 0; i < blocks; i++, b += 34, x += 32) q8_0(src, x, dst, b); }
            case Q4_0 -> { for (int i = 0; i < blocks; i++, b += 18, x += 32) q4_0(src, x, dst, b); }
            case Q4_1 -> { for (int i = 0; i < blocks; i++, b += 20, x += 32) q4_1(src, x, dst, b); }
            case Q5_0 -> { for (int i = 0; i < blocks; i++, b += 22, x += 32) q5_0(src, x, dst, b); }
            case Q5_1 -> { for (int i = 0; i < blocks; i++, b += 24, x += 32) q5_1(src, x, dst, b); }
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> rows(type, src, srcOffset, 1, n, null, dst, dstOffset);
            default -> throw new UnsupportedOperationException("no quantizer for " + type + ": supported are " + WRITABLE);
        }
    }

    /** The types {@link #rows} can write. */
    public static final java.util.Set<DType> WRITABLE = java.util.Collections.unmodifiableSet(java.util.EnumSet.of(
            DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1,
            DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K));

    /**
     * Quantizes {@code nRows} rows of {@code nPerRow} values as ggml's {@code ggml_quantize_chunk} does: without
     * {@code importance} the reference quantizers; with it (one weight per column, [nPerRow], llama.cpp's imatrix
     * entry for this tensor) the importance-weighted searches for Q4_0/Q4_1/Q5_0/Q5_1 and the K-quants. Q8_0 and
     * the float types ignore importance, as ggml does.
     *
     * @param src [nRows][nPerRow] row-major, starting at {@code srcOffset}
     * @param dst receives nRows × type.bytesFor(nPerRow) bytes at {@code dstOffset}
     */
    public static void rows(DType type, float[] src, int srcOffset, int nRows, int nPerRow, float[] importance,
                            MemorySegment dst, long dstOffset) {
        if (!WRITABLE.contains(type)) {
            throw new UnsupportedOperationException("cannot quantize to " + type + ": supported are " + WRITABLE);
        }
        long rowBytes = type.bytesFor(nPerRow); // checks whole blocks
        if (importance != null && importance.length != nPerRow) {
            throw new IllegalArgumentException("importance has " + importance.length + " weights, rows have " + nPerRow + " columns");
        }
        if (srcOffset < 0 || nRows < 0 || srcOffset + (long) nRows * nPerRow > src.length) {
            throw new IndexOutOfBoundsException("cannot read " + nRows + " rows of " + nPerRow + " floats at " + srcOffset
                    + " from float[" + src.length + "]");
        }
        boolean kQuant = type.blockSize == KQuantize.QK_K;
        boolean weightedLegacy = importance != null && (type == DType.Q4_0 || type == DType.Q4_1 || type == DType.Q5_0 || type == DType.Q5_1);
        if (!kQuant && !weightedLegacy) {
            fromFloat(type, src, srcOffset, dst, dstOffset, nRows * nPerRow);
            return;
        }
        if (dstOffset < 0 || dstOffset + rowBytes * nRows > dst.byteSize()) {
            throw new IndexOutOfBoundsException(nRows + " rows of " + type + " need " + rowBytes * nRows + " bytes at "
                    + dstOffset + " but the segment holds " + dst.byteSize());
        }
        byte[] row = new byte[Math.toIntExact(rowBytes)];
        KQuantize k = kQuant ? new KQuantize() : null;
        WeightedLegacyQuantize w = weightedLegacy ? new WeightedLegacyQuantize() : null;
        for (int r = 0; r < nRows; r++) {
            int x = srcOffset + r * nPerRow;
            if (w != null) {
                w.row(type.ggmlType, src, x, nPerRow, importance, row, 0);
            } else {
                for (int blk = 0, o = 0; blk < nPerRow / 256; blk++, o += type.blockBytes) {
                    int xo = x + 256 * blk;
                    int qo = 256 * blk;
                    switch (type) {
                        case Q2_K -> k.q2K(src, xo, importance, qo, row, o);
                        case Q3_K -> k.q3K(src, xo, importance, qo, row, o);
                        case Q4_K -> k.q4K(src, xo, importance, qo, row, o);
                        case Q5_K -> k.q5K(src, xo, importance, qo, row, o);
                        case Q6_K -> k.q6K(src, xo, importance, qo, row, o);
                        default -> throw new AssertionError(type);
                    }
                }
            }
            MemorySegment.copy(row, 0, dst, ValueLayout.JAVA_BYTE, dstOffset + r * rowBytes, row.length);
        }
    }

    /** Convenience: quantizes all of {@code src} into a new heap segment. */
    public static MemorySegment fromFloat(DType type, float[] src) {
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(type.bytesFor(src.length))]);
        fromFloat(type, src, 0, out, 0, src.length);
        return out;
    }

    /** C's roundf: round half away from zero. */
    static float roundf(float v) {
        return (float) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    /** C's {@code (int8_t) f}: truncate toward zero, then keep the low 8 bits (as x86's cvttss2si does). */
    static int toInt8(float v) {
        return (byte) cvtt(v);
    }

    /**
     * x86's cvttss2si, which C's float-to-int conversions compile to: truncation toward zero, and for NaN, ±inf or
     * anything outside int's range the "integer indefinite" 0x80000000 (Java would saturate instead).
     */
    static int cvtt(float v) {
        return v >= -2147483648f && v < 2147483648f ? (int) v : Integer.MIN_VALUE;
    }

    private static void putHalf(MemorySegment s, long at, float v) {
        s.set(Dequantize.HALF, at, Float.floatToFloat16(v));
    }

    private static void q8_0(float[] x, int o, MemorySegment s, long b) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) {
            float a = Math.abs(x[o + j]);
            amax = amax > a ? amax : a; // C's MAX: a NaN is dropped again by the next value, as in ggml
        }
        float d = amax / 127f;
        float id = d != 0f ? 1.0f / d : 0f;
        putHalf(s, b, d);
        for (int j = 0; j < 32; j++) s.set(ValueLayout.JAVA_BYTE, b + 2 + j, (byte) cvtt(roundf(x[o + j] * id)));
    }

    /** The value of largest magnitude in a block, sign kept (the first one wins on ties, as in ggml). */
    private static void q4_0(float[] x, int o, MemorySegment s, long b) {
        float d = QuantSearch.signedAbsMax(x, o, 32) / -8f;
        float id = d != 0f ? 1.0f / d : 0f;
        putHalf(s, b, d);
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(15, toInt8(x[o + j] * id + 8.5f));
            int xi1 = Math.min(15, toInt8(x[o + 16 + j] * id + 8.5f));
            s.set(ValueLayout.JAVA_BYTE, b + 2 + j, (byte) ((xi0 & 0xFF) | (xi1 << 4)));
        }
    }

    private static void q4_1(float[] x, int o, MemorySegment s, long b) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 15f;
        float id = d != 0f ? 1.0f / d : 0f;
        putHalf(s, b, d);
        putHalf(s, b + 2, min);
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(15, toInt8((x[o + j] - min) * id + 0.5f));
            int xi1 = Math.min(15, toInt8((x[o + 16 + j] - min) * id + 0.5f));
            s.set(ValueLayout.JAVA_BYTE, b + 4 + j, (byte) ((xi0 & 0xFF) | (xi1 << 4)));
        }
    }

    private static void q5_0(float[] x, int o, MemorySegment s, long b) {
        float d = QuantSearch.signedAbsMax(x, o, 32) / -16f;
        float id = d != 0f ? 1.0f / d : 0f;
        putHalf(s, b, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(31, toInt8(x[o + j] * id + 16.5f)) & 0xFF;
            int xi1 = Math.min(31, toInt8(x[o + 16 + j] * id + 16.5f)) & 0xFF;
            s.set(ValueLayout.JAVA_BYTE, b + 6 + j, (byte) ((xi0 & 0xF) | ((xi1 & 0xF) << 4)));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        s.set(Dequantize.INT, b + 2, qh);
    }

    private static void q5_1(float[] x, int o, MemorySegment s, long b) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 31f;
        float id = d != 0f ? 1.0f / d : 0f;
        putHalf(s, b, d);
        putHalf(s, b + 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int xi0 = cvtt((x[o + j] - min) * id + 0.5f) & 0xFF; // C: (uint8_t)(float)
            int xi1 = cvtt((x[o + 16 + j] - min) * id + 0.5f) & 0xFF;
            s.set(ValueLayout.JAVA_BYTE, b + 8 + j, (byte) ((xi0 & 0xF) | ((xi1 & 0xF) << 4)));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        s.set(Dequantize.INT, b + 4, qh);
    }
}
