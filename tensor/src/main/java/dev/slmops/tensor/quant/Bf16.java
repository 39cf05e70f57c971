package dev.slmops.tensor.quant;

/**
 * bfloat16: the top 16 bits of an IEEE binary32. Widening is exact; narrowing rounds to nearest, ties to even,
 * and keeps NaNs NaN (quieted), the same as ggml's {@code ggml_compute_fp32_to_bf16} and PyTorch.
 */
public final class Bf16 {
    private Bf16() {
    }

    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static short fromFloat(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7FFFFFFF) > 0x7F800000) return (short) ((u >>> 16) | 0x40); // NaN: keep sign/payload top, force quiet
        return (short) ((u + 0x7FFF + ((u >>> 16) & 1)) >>> 16);
    }
}
