package dev.slmops.model.format.gguf;

import dev.slmops.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Element-wise reads and writes of the float storage types (F32, F16, BF16) in little-endian byte order,
 * as GGUF and safetensors store them. Rounding to F16 and BF16 is round-to-nearest-even, as llama.cpp's
 * converter rounds; NaN stays NaN (quiet) with its sign.
 */
public final class FloatConversion {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FloatConversion() {
    }

    public static boolean isConvertible(DType t) {
        return t == DType.F32 || t == DType.F16 || t == DType.BF16;
    }

    /** Element {@code i} of a float tensor's bytes, widened to float. */
    public static float read(DType type, MemorySegment bytes, long i) {
        return switch (type) {
            case F32 -> bytes.get(F32, i * 4);
            case F16 -> Float.float16ToFloat(bytes.get(U16, i * 2));
            case BF16 -> bf16ToFloat(bytes.get(U16, i * 2));
            default -> throw new IllegalArgumentException("not a float storage type: " + type);
        };
    }

    /** Stores {@code v} as element {@code i}, rounding to nearest even for F16 and BF16. */
    public static void write(DType type, MemorySegment bytes, long i, float v) {
        switch (type) {
            case F32 -> bytes.set(F32, i * 4, v);
            case F16 -> bytes.set(U16, i * 2, Float.floatToFloat16(v));
            case BF16 -> bytes.set(U16, i * 2, floatToBf16(v));
            default -> throw new IllegalArgumentException("not a float storage type: " + type);
        }
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round-to-nearest-even on the low 16 bits; NaNs are made quiet so truncation cannot turn them into Inf. */
    public static short floatToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (short) ((bits >>> 16) | 0x40);
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }
}
