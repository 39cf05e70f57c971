package dev.slmops.tensor.quant;

import dev.slmops.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Conversions between the float storage types F32, F16 and BF16, as files store them (little-endian bits).
 * Narrowing rounds to nearest, ties to even, as llama.cpp's converter, ggml's {@code ggml_compute_fp32_to_bf16}
 * and PyTorch round; NaN stays NaN (quieted) with its sign; overflow goes to ±inf.
 * <ul>
 *   <li>F16 is IEEE 754 binary16 through the JDK ({@link Float#floatToFloat16}, {@link Float#float16ToFloat}).</li>
 *   <li>BF16 is the top half of an F32 after rounding the dropped 16 bits to nearest even; widening is exact.</li>
 * </ul>
 * Element conversions, element reads/writes at an index, and a bulk {@link #convert} (chunked through
 * primitive arrays) with {@link #convertReference} beside it, the element-by-element definition it must match.
 */
public final class FloatConversions {
    private FloatConversions() {
    }

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Elements per chunk of {@link #convert}: 4096 floats (16 KiB), small enough to stay in L1/L2. */
    static final int CHUNK = 1 << 12;

    public static short f32ToF16(float f) {
        return Float.floatToFloat16(f);
    }

    public static float f16ToF32(short h) {
        return Float.float16ToFloat(h);
    }

    /** F32 -> BF16 bits, round to nearest even; NaN stays a quiet NaN of the same sign; overflow goes to ±inf. */
    public static short f32ToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (short) ((bits >>> 16) | 0x0040); // NaN: force quiet so truncation cannot make Inf
        int lsb = (bits >>> 16) & 1; // ties go to the even result
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** BF16 bits -> F32, exact. */
    public static float bf16ToF32(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /**
     * The naive definition of {@link #f32ToBf16}: of the two neighbouring BF16 values (the truncation and the next
     * one away from zero), the nearer, computed exactly in double; on a tie the one with an even last bit.
     */
    public static short f32ToBf16Reference(float x) {
        if (Float.isNaN(x)) return (short) ((Float.floatToRawIntBits(x) >>> 16) | 0x40);
        int bits = Float.floatToRawIntBits(x);
        int lo = bits >>> 16;          // truncated toward zero (same sign)
        int hi = lo + 1;               // next away from zero (may become inf: still the right neighbour)
        double dLo = Math.abs((double) x - bf16ToF32((short) lo));
        double dHi = Math.abs((double) x - bf16ToF32((short) hi));
        if (Float.isInfinite(bf16ToF32((short) hi)) && dLo >= 0) {
            // Overflow rule: round to inf only if x is at least halfway to the next power-of-two step.
            double halfway = bf16ToF32((short) lo) + Math.signum(x) * Math.ulp(bf16ToF32((short) lo)) * 65536 / 2;
            if (Math.abs(x) < Math.abs(halfway)) return (short) lo;
            if (Math.abs(x) > Math.abs(halfway)) return (short) hi;
            return (short) ((lo & 1) == 0 ? lo : hi);
        }
        if (dLo < dHi) return (short) lo;
        if (dHi < dLo) return (short) hi;
        return (short) ((lo & 1) == 0 ? lo : hi);
    }

    /**
     * The naive definition of {@link #f32ToF16}: on |x|, the nearest of the 31744 finite non-negative halves (ties
     * to even), or infinity from 65520 up (the midpoint between 65504 and the next step, 65536); then the sign.
     * A linear search: for tests, not for data.
     */
    public static short f32ToF16Reference(float x) {
        if (Float.isNaN(x)) return Float.floatToFloat16(x);
        int sign = (Float.floatToRawIntBits(x) >>> 16) & 0x8000;
        double a = Math.abs((double) x);
        if (a >= 65520.0) return (short) (sign | 0x7C00);
        double best = Double.POSITIVE_INFINITY;
        int bestBits = 0;
        for (int h = 0; h < 0x7C00; h++) {
            double d = Math.abs(a - Float.float16ToFloat((short) h));
            if (d < best || (d == best && (h & 1) == 0)) {
                best = d;
                bestBits = h;
            }
        }
        return (short) (sign | bestBits);
    }

    /** Whether {@code t} is one of the types converted here: F32, F16, BF16. */
    public static boolean isConvertible(DType t) {
        return t == DType.F32 || t == DType.F16 || t == DType.BF16;
    }

    /** Whether {@link #convert} converts {@code from} to {@code to}: any pair of F32, F16, BF16. */
    public static boolean canConvert(DType from, DType to) {
        return isConvertible(from) && isConvertible(to);
    }

    /** Element {@code i} of a little-endian F32/F16/BF16 segment, widened to float. */
    public static float read(DType type, MemorySegment bytes, long i) {
        return switch (type) {
            case F32 -> bytes.getAtIndex(F32_LE, i);
            case F16 -> f16ToF32(bytes.getAtIndex(I16_LE, i));
            case BF16 -> bf16ToF32(bytes.getAtIndex(I16_LE, i));
            default -> throw new IllegalArgumentException("not a float storage type (F32, F16, BF16): " + type);
        };
    }

    /** Stores {@code v} as element {@code i} of a little-endian F32/F16/BF16 segment, rounding to nearest even. */
    public static void write(DType type, MemorySegment bytes, long i, float v) {
        switch (type) {
            case F32 -> bytes.setAtIndex(F32_LE, i, v);
            case F16 -> bytes.setAtIndex(I16_LE, i, f32ToF16(v));
            case BF16 -> bytes.setAtIndex(I16_LE, i, f32ToBf16(v));
            default -> throw new IllegalArgumentException("not a float storage type (F32, F16, BF16): " + type);
        }
    }

    /**
     * Converts {@code n} elements: {@code src} (little-endian {@code from}, at least {@code from.bytesFor(n)} bytes)
     * into {@code dst} (little-endian {@code to}, at least {@code to.bytesFor(n)} bytes). Same-type conversions
     * copy the bytes (bit-exact, NaN payloads included). Works in chunks of {@link #CHUNK} elements: each chunk is
     * decoded into a float[], converted into a short[] or copied as floats, and stored little-endian.
     */
    public static void convert(MemorySegment src, DType from, MemorySegment dst, DType to, long n) {
        checkConvert(from, to);
        if (from == to) {
            MemorySegment.copy(src, 0, dst, 0, from.bytesFor(n));
            return;
        }
        int chunk = (int) Math.min(CHUNK, Math.max(n, 1));
        float[] f = new float[chunk];
        short[] h = new short[chunk];
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
            switch (to) {
                case F32 -> MemorySegment.copy(f, 0, dst, F32_LE, start * 4, len);
                case F16 -> {
                    for (int i = 0; i < len; i++) h[i] = f32ToF16(f[i]);
                    MemorySegment.copy(h, 0, dst, I16_LE, start * 2, len);
                }
                case BF16 -> {
                    for (int i = 0; i < len; i++) h[i] = f32ToBf16(f[i]);
                    MemorySegment.copy(h, 0, dst, I16_LE, start * 2, len);
                }
                default -> throw new AssertionError(to);
            }
        }
    }

    /** The naive definition of {@link #convert}: one element at a time through {@link #read} and {@link #write}. */
    public static void convertReference(MemorySegment src, DType from, MemorySegment dst, DType to, long n) {
        checkConvert(from, to);
        if (from == to) { // identity: bit-exact, NaN payloads included
            for (long b = 0; b < from.bytesFor(n); b++) dst.set(ValueLayout.JAVA_BYTE, b, src.get(ValueLayout.JAVA_BYTE, b));
            return;
        }
        for (long i = 0; i < n; i++) write(to, dst, i, read(from, src, i));
    }

    private static void checkConvert(DType from, DType to) {
        if (!canConvert(from, to)) {
            throw new IllegalArgumentException("cannot convert " + from + " to " + to
                    + ": conversions are between F32, F16 and BF16 (quantized types: use a quantizer)");
        }
    }
}
