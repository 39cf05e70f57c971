package dev.slmops.tensor.quant;

import dev.slmops.tensor.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * F32 -> BF16/F16 rounding against a naive reference that follows the definition: of the two neighbouring
 * representable values, take the nearer (computed exactly in double), and on a tie the one with an even
 * last mantissa bit. (F16 rounding is also checked against numpy in SafetensorsGoldenTest.)
 */
class FloatConversionsTest {

    @Test
    void bf16RoundsToNearestEvenOnAStrideOfAllFloats() {
        // every 4099th bit pattern (odd stride hits all low-bit patterns) plus exact ties around 1.0
        for (long b = 0; b <= 0xFFFFFFFFL; b += 4099) {
            float x = Float.intBitsToFloat((int) b);
            assertThat(FloatConversions.f32ToBf16(x)).as("bf16(%s) bits %08x", x, b).isEqualTo(FloatConversions.f32ToBf16Reference(x));
        }
        for (int low = 0x7FF0; low <= 0x8010; low++) {
            for (int hi : new int[]{0x3F80, 0x3F81, 0xBF80, 0x7F7F, 0x0001, 0x0000}) {
                float x = Float.intBitsToFloat((hi << 16) | low);
                assertThat(FloatConversions.f32ToBf16(x)).as("bf16 tie case %08x", (hi << 16) | low).isEqualTo(FloatConversions.f32ToBf16Reference(x));
            }
        }
        assertThat(FloatConversions.f32ToBf16(Float.NaN) & 0x7FC0).isEqualTo(0x7FC0);
        assertThat(FloatConversions.f32ToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7F80); // rounds up to +inf
    }

    @Test
    void f16RoundsToNearestEvenOnSamples() {
        float[] xs = {0f, -0f, 1f, 1f + 0x1p-11f, 1f + 0x3p-11f, 65504f, 65519.99f, 65520f, 0x1p-24f, 0x1p-25f,
                0x1.8p-25f, 1e-10f, -3.14159f, Float.POSITIVE_INFINITY, 70000f};
        for (float x : xs) assertThat(FloatConversions.f32ToF16(x)).as("f16(%s)", x).isEqualTo(FloatConversions.f32ToF16Reference(x));
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < 300; i++) {
            float x = Float.intBitsToFloat(0x30000000 + r.nextInt(0x18000000)) * (r.nextBoolean() ? 1 : -1);
            assertThat(FloatConversions.f32ToF16(x)).as("f16(%s)", x).isEqualTo(FloatConversions.f32ToF16Reference(x));
        }
    }

    @Test
    @Tag("slow")
    void bf16MatchesTheReferenceOnEveryFloat() {
        for (long b = 0; b <= 0xFFFFFFFFL; b++) {
            float x = Float.intBitsToFloat((int) b);
            short got = FloatConversions.f32ToBf16(x), want = FloatConversions.f32ToBf16Reference(x);
            if (got != want) assertThat(got).as("bf16 bits %08x", b).isEqualTo(want);
        }
    }

    @Test
    void convertsArraysOfAnyLength() {
        for (int n : new int[]{0, 1, 3, 7, 17, 33, 300_001}) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) Math.sin(i) * 1000f;
            MemorySegment src = MemorySegment.ofArray(new byte[n * 4]);
            for (int i = 0; i < n; i++) src.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, v[i]);
            for (DType to : new DType[]{DType.F16, DType.BF16, DType.F32}) {
                MemorySegment got = MemorySegment.ofArray(new byte[n * to.blockBytes]);
                FloatConversions.convert(src, DType.F32, got, to, n);
                for (int i = 0; i < n; i += 97) {
                    float expect = switch (to) {
                        case F16 -> Float.float16ToFloat(Float.floatToFloat16(v[i]));
                        case BF16 -> FloatConversions.bf16ToF32(FloatConversions.f32ToBf16Reference(v[i]));
                        default -> v[i];
                    };
                    assertThat(FloatConversions.read(to, got, i)).isEqualTo(expect);
                }
            }
        }
    }

    /** The chunked fast path against the element-by-element reference: every pair, awkward lengths, random bits. */
    @Test
    void chunkedConvertMatchesTheReferenceForEveryPair() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(17);
        DType[] types = {DType.F32, DType.F16, DType.BF16};
        int c = FloatConversions.CHUNK;
        for (int n : new int[]{0, 1, 3, 15, 33, c - 1, c, c + 7, (1 << 18) + 7}) {
            for (DType from : types) {
                byte[] raw = new byte[n * from.blockBytes];
                for (int i = 0; i < raw.length; i++) raw[i] = (byte) r.nextInt(256);   // includes NaN, inf, subnormals
                MemorySegment src = MemorySegment.ofArray(raw);
                for (DType to : types) {
                    byte[] fast = new byte[n * to.blockBytes], ref = new byte[n * to.blockBytes];
                    FloatConversions.convert(src, from, MemorySegment.ofArray(fast), to, n);
                    FloatConversions.convertReference(src, from, MemorySegment.ofArray(ref), to, n);
                    assertThat(java.util.Arrays.mismatch(fast, ref)).as("%s -> %s, n=%d", from, to, n).isEqualTo(-1);
                }
            }
        }
    }

    @Test
    void refusesTypesItDoesNotConvert() {
        MemorySegment s = MemorySegment.ofArray(new byte[68]);
        assertThatThrownBy(() -> FloatConversions.convert(s, DType.Q8_0, s, DType.F32, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between F32, F16 and BF16");
    }
}
