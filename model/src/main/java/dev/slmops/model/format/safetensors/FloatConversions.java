package dev.slmops.model.format.safetensors;

import dev.slmops.tensor.DType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * Conversions between F32, F16 and BF16 as stored (little-endian bits), rounding to nearest, ties to even.
 * F16 uses the JDK's {@link Float#floatToFloat16} (IEEE 754 binary16, round-to-nearest-even, NaN stays NaN);
 * BF16 is the top half of an F32 after rounding the dropped 16 bits to nearest even.
 */
public final class FloatConversions {
    private FloatConversions() {
    }

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static short f32ToF16(float f) {
        return Float.floatToFloat16(f);
    }

    public static float f16ToF32(short h) {
        return Float.float16ToFloat(h);
    }

    /** F32 -> BF16 bits, round to nearest even; NaN stays a (quiet) NaN of the same sign; overflow goes to ±inf. */
    public static short f32ToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        int lsb = (bits >>> 16) & 1;           // ties go to the even result
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    public static float bf16ToF32(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** Whether {@link #write} converts {@code from} to {@code to}: any pair of F32, F16, BF16. */
    public static boolean canConvert(DType from, DType to) {
        return isConvertible(from) && isConvertible(to);
    }

    private static boolean isConvertible(DType t) {
        return t == DType.F32 || t == DType.F16 || t == DType.BF16;
    }

    /** Reads element {@code i} of a little-endian F32/F16/BF16 segment as a float. */
    public static float read(MemorySegment src, DType from, long i) {
        return switch (from) {
            case F32 -> src.getAtIndex(F32_LE, i);
            case F16 -> f16ToF32(src.getAtIndex(I16_LE, i));
            case BF16 -> bf16ToF32(src.getAtIndex(I16_LE, i));
            default -> throw new IllegalArgumentException("cannot convert from " + from);
        };
    }

    /**
     * Streams {@code src} (elements of {@code from}) to {@code out} as {@code to}, in chunks of 256K elements:
     * memory stays constant whatever the tensor size. Each chunk is copied into a float[] (decoding the
     * little-endian source), converted into a short[]/float[], and copied out little-endian; same-type writes copy
     * the bytes through. {@link #writeReference} is the element-by-element definition this must match.
     */
    public static void write(MemorySegment src, DType from, DType to, WritableByteChannel out) throws IOException {
        if (!canConvert(from, to)) throw new IllegalArgumentException("cannot convert " + from + " to " + to);
        if (from == to) {
            TensorToWrite.writeSegment(src, out);
            return;
        }
        long n = src.byteSize() / from.blockBytes;
        int chunk = 1 << 18;
        float[] f = new float[chunk];
        short[] h = new short[chunk];
        byte[] bytes = new byte[chunk * 4];
        MemorySegment outSeg = MemorySegment.ofArray(bytes);
        for (long start = 0; start < n; start += chunk) {
            int len = (int) Math.min(chunk, n - start);
            switch (from) {
                case F32 -> MemorySegment.copy(src, F32_LE, start * 4, f, 0, len);
                case F16 -> {
                    MemorySegment.copy(src, I16_LE, start * 2, h, 0, len);
                    for (int i = 0; i < len; i++) f[i] = f16ToF32(h[i]);
                }
                case BF16 -> {
                    MemorySegment.copy(src, I16_LE, start * 2, h, 0, len);
                    for (int i = 0; i < len; i++) f[i] = bf16ToF32(h[i]);
                }
                default -> throw new AssertionError(from);
            }
            int outBytes;
            switch (to) {
                case F32 -> {
                    MemorySegment.copy(f, 0, outSeg, F32_LE, 0, len);
                    outBytes = len * 4;
                }
                case F16 -> {
                    for (int i = 0; i < len; i++) h[i] = f32ToF16(f[i]);
                    MemorySegment.copy(h, 0, outSeg, I16_LE, 0, len);
                    outBytes = len * 2;
                }
                case BF16 -> {
                    for (int i = 0; i < len; i++) h[i] = f32ToBf16(f[i]);
                    MemorySegment.copy(h, 0, outSeg, I16_LE, 0, len);
                    outBytes = len * 2;
                }
                default -> throw new AssertionError(to);
            }
            ByteBuffer buf = ByteBuffer.wrap(bytes, 0, outBytes);
            while (buf.hasRemaining()) out.write(buf);
        }
    }

    /** The naive definition of {@link #write}: one element at a time through {@link #read}. Tests compare the two. */
    public static void writeReference(MemorySegment src, DType from, DType to, WritableByteChannel out)
            throws IOException {
        if (!canConvert(from, to)) throw new IllegalArgumentException("cannot convert " + from + " to " + to);
        if (from == to) { // identity: bit-exact, NaN payloads included
            ByteBuffer all = ByteBuffer.wrap(src.toArray(ValueLayout.JAVA_BYTE));
            while (all.hasRemaining()) out.write(all);
            return;
        }
        long n = src.byteSize() / from.blockBytes;
        ByteBuffer buf = ByteBuffer.allocate(to.blockBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            float v = read(src, from, i);
            buf.clear();
            switch (to) {
                case F32 -> buf.putFloat(v);
                case F16 -> buf.putShort(f32ToF16(v));
                case BF16 -> buf.putShort(f32ToBf16(v));
                default -> throw new AssertionError(to);
            }
            buf.flip();
            while (buf.hasRemaining()) out.write(buf);
        }
    }
}
