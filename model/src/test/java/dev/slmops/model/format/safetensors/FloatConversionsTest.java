package dev.slmops.model.format.safetensors;

import dev.slmops.tensor.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.Channels;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * F32 -> BF16/F16 rounding against a naive reference that follows the definition: of the two neighbouring
 * representable values, take the nearer (computed exactly in double), and on a tie the one with an even
 * last mantissa bit. (F16 rounding is also checked against numpy in SafetensorsGoldenTest.)
 */
class FloatConversionsTest {

    /** Naive BF16: the candidates are the truncation and the next value up in magnitude. */
    static short bf16Reference(float x) {
        if (Float.isNaN(x)) return (short) ((Float.floatToRawIntBits(x) >>> 16) | 0x40);
        int bits = Float.floatToRawIntBits(x);
        int lo = bits >>> 16;          // truncated toward zero (same sign)
        int hi = lo + 1;               // next away from zero (may become inf: still the right neighbour)
        double dLo = Math.abs((double) x - FloatConversions.bf16ToF32((short) lo));
        double dHi = Math.abs((double) x - FloatConversions.bf16ToF32((short) hi));
        if (Float.isInfinite(FloatConversions.bf16ToF32((short) hi)) && dLo >= 0) {
            // Overflow rule: round to inf only if x is at least halfway to the next power-of-two step.
            double halfway = FloatConversions.bf16ToF32((short) lo) + Math.signum(x) * Math.ulp(FloatConversions.bf16ToF32((short) lo)) * 65536 / 2;
            if (Math.abs(x) < Math.abs(halfway)) return (short) lo;
            if (Math.abs(x) > Math.abs(halfway)) return (short) hi;
            return (short) ((lo & 1) == 0 ? lo : hi);
        }
        if (dLo < dHi) return (short) lo;
        if (dHi < dLo) return (short) hi;
        return (short) ((lo & 1) == 0 ? lo : hi);
    }

    /**
     * Naive F16 by the same definition: on |x|, the nearest of the 31744 finite non-negative halves (ties to
     * even), or infinity from 65520 up (the midpoint between 65504 and the next step, 65536); then the sign.
     */
    static short f16Reference(float x) {
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

    @Test
    void bf16RoundsToNearestEvenOnAStrideOfAllFloats() {
        // every 4099th bit pattern (odd stride hits all low-bit patterns) plus exact ties around 1.0
        for (long b = 0; b <= 0xFFFFFFFFL; b += 4099) {
            float x = Float.intBitsToFloat((int) b);
            assertThat(FloatConversions.f32ToBf16(x)).as("bf16(%s) bits %08x", x, b).isEqualTo(bf16Reference(x));
        }
        for (int low = 0x7FF0; low <= 0x8010; low++) {
            for (int hi : new int[]{0x3F80, 0x3F81, 0xBF80, 0x7F7F, 0x0001, 0x0000}) {
                float x = Float.intBitsToFloat((hi << 16) | low);
                assertThat(FloatConversions.f32ToBf16(x)).as("bf16 tie case %08x", (hi << 16) | low).isEqualTo(bf16Reference(x));
            }
        }
        assertThat(FloatConversions.f32ToBf16(Float.NaN) & 0x7FC0).isEqualTo(0x7FC0);
        assertThat(FloatConversions.f32ToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7F80); // rounds up to +inf
    }

    @Test
    void f16RoundsToNearestEvenOnSamples() {
        float[] xs = {0f, -0f, 1f, 1f + 0x1p-11f, 1f + 0x3p-11f, 65504f, 65519.99f, 65520f, 0x1p-24f, 0x1p-25f,
                0x1.8p-25f, 1e-10f, -3.14159f, Float.POSITIVE_INFINITY, 70000f};
        for (float x : xs) assertThat(FloatConversions.f32ToF16(x)).as("f16(%s)", x).isEqualTo(f16Reference(x));
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < 300; i++) {
            float x = Float.intBitsToFloat(0x30000000 + r.nextInt(0x18000000)) * (r.nextBoolean() ? 1 : -1);
            assertThat(FloatConversions.f32ToF16(x)).as("f16(%s)", x).isEqualTo(f16Reference(x));
        }
    }

    @Test
    @Tag("slow")
    void bf16MatchesTheReferenceOnEveryFloat() {
        for (long b = 0; b <= 0xFFFFFFFFL; b++) {
            float x = Float.intBitsToFloat((int) b);
            short got = FloatConversions.f32ToBf16(x), want = bf16Reference(x);
            if (got != want) assertThat(got).as("bf16 bits %08x", b).isEqualTo(want);
        }
    }

    @Test
    void streamsConversionsOfAnyLength() throws Exception {
        for (int n : new int[]{0, 1, 3, 7, 17, 33, 300_001}) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) Math.sin(i) * 1000f;
            MemorySegment src = MemorySegment.ofArray(new byte[n * 4]);
            for (int i = 0; i < n; i++) src.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, v[i]);
            for (DType to : new DType[]{DType.F16, DType.BF16, DType.F32}) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                FloatConversions.write(src, DType.F32, to, Channels.newChannel(out));
                MemorySegment got = MemorySegment.ofArray(out.toByteArray());
                assertThat(got.byteSize()).isEqualTo((long) n * to.blockBytes);
                for (int i = 0; i < n; i += 97) {
                    float expect = switch (to) {
                        case F16 -> Float.float16ToFloat(Float.floatToFloat16(v[i]));
                        case BF16 -> FloatConversions.bf16ToF32(bf16Reference(v[i]));
                        default -> v[i];
                    };
                    assertThat(FloatConversions.read(got, to, i)).isEqualTo(expect);
                }
            }
        }
    }

    /** The chunked fast path against the element-by-element reference: every pair, awkward lengths, random bits. */
    @Test
    void chunkedWriteMatchesTheReferenceForEveryPair() throws Exception {
        java.util.SplittableRandom r = new java.util.SplittableRandom(17);
        DType[] types = {DType.F32, DType.F16, DType.BF16};
        for (int n : new int[]{0, 1, 3, 15, 33, (1 << 18) - 1, (1 << 18) + 7}) {
            for (DType from : types) {
                byte[] raw = new byte[n * from.blockBytes];
                for (int i = 0; i < raw.length; i++) raw[i] = (byte) r.nextInt(256);   // includes NaN, inf, subnormals
                MemorySegment src = MemorySegment.ofArray(raw);
                for (DType to : types) {
                    ByteArrayOutputStream fast = new ByteArrayOutputStream(), ref = new ByteArrayOutputStream();
                    FloatConversions.write(src, from, to, Channels.newChannel(fast));
                    FloatConversions.writeReference(src, from, to, Channels.newChannel(ref));
                    byte[] a = fast.toByteArray(), b = ref.toByteArray();
                    assertThat(java.util.Arrays.mismatch(a, b)).as("%s -> %s, n=%d", from, to, n).isEqualTo(-1);
                }
            }
        }
    }
}
