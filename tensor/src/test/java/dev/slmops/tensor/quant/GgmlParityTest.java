package dev.slmops.tensor.quant;

import dev.slmops.tensor.DType;
import dev.slmops.testkit.ggml.GgmlQuants;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Our block formats against ggml itself (libggml-base.so of llama.cpp, through FFM): blocks ggml quantizes are
 * dequantized bit-identically by {@link Dequantize}; our reference quantizers write the very bytes ggml's do.
 * Sizes are awkward block counts; inputs mix Gaussian values, outliers, zeros and constant blocks.
 */
class GgmlParityTest {
    private static final int[] BLOCK_COUNTS = {1, 3, 7, 15, 17, 31, 33};
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static float[] values(int n, long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (rnd.nextInt(10)) {
                case 0 -> 0f;
                case 1 -> (float) (rnd.nextGaussian() * 40);
                case 2 -> 1e-3f * (float) rnd.nextGaussian();
                default -> (float) rnd.nextGaussian();
            };
        }
        if (n >= 64) java.util.Arrays.fill(v, 32, 64, 0.5f); // a constant block (d from max, min == max cases)
        return v;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void dequantizesGgmlBlocksBitIdentically(DType type) {
        for (int blocks : BLOCK_COUNTS) {
            int n = blocks * Math.max(type.blockSize, 32);
            float[] src = values(n, 31L * blocks + type.ordinal());
            int rows = 1;
            byte[] ggmlBytes = GgmlQuants.quantize(type.ggmlType, src, rows, n, null);
            // ggml has no to_float for F32 (its "quantization" is a copy): the source is the expectation
            float[] expected = type == DType.F32 ? src : GgmlQuants.dequantize(type.ggmlType, ggmlBytes, n);
            float[] ours = new float[n + 2];
            Dequantize.toFloat(type, MemorySegment.ofArray(ggmlBytes), 0, ours, 1, n);
            for (int i = 0; i < n; i++) {
                if (Float.floatToRawIntBits(ours[i + 1]) != Float.floatToRawIntBits(expected[i])) {
                    fail(type + " with " + blocks + " blocks: element " + i + " is " + ours[i + 1] + ", ggml says " + expected[i]);
                }
            }
        }
    }

    /** ggml exposes no Q8_K dequantizer (it is only an activation format there): check d * q from the layout. */
    @Test
    void q8kIsFloatScaleTimesInt8() {
        byte[] b = new byte[3 * 292];
        new Random(5).nextBytes(b);
        MemorySegment s = MemorySegment.ofArray(b);
        for (int blk = 0; blk < 3; blk++) {
            s.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 292L * blk, 0.01f * (blk + 1));
        }
        float[] out = Dequantize.toFloat(DType.Q8_K, s, 3 * 256);
        for (int i = 0; i < out.length; i++) {
            assertThat(out[i]).isEqualTo(0.01f * (i / 256 + 1) * b[292 * (i / 256) + 4 + i % 256]);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void referenceQuantizersWriteGgmlsBytes(DType type) {
        for (int blocks : BLOCK_COUNTS) {
            int n = blocks * 32;
            float[] src = values(n, 17L * blocks + type.ordinal());
            byte[] expected = GgmlQuants.quantize(type.ggmlType, src, 1, n, null);
            MemorySegment ours = Quantize.fromFloat(type, src);
            assertArrayEquals(expected, ours.toArray(ValueLayout.JAVA_BYTE), type + " with " + blocks + " blocks");
            assertArrayEquals(GgmlQuants.quantizeRef(type.ggmlType, src), expected, "ggml's ref quantizer agrees with its chunk quantizer");
        }
    }

    @Test
    void halfAndBfloatConversionsMatchGgmlOnEveryBitPatternAndTrickyFloats() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        float[] f16 = GgmlQuants.fp16ToFp32(all);
        float[] bf16 = GgmlQuants.bf16ToFp32(all);
        for (int i = 0; i < all.length; i++) {
            // a signaling NaN half comes out quiet where the JIT uses the CPU's conversion (F16C, NEON) and keeps its
            // quiet bit clear where it does not (-XX:UseAVX=0): NaNs are compared without bit 22
            int quietBit = Float.isNaN(f16[i]) ? 0x0040_0000 : 0;
            assertThat(Float.floatToRawIntBits(Float.float16ToFloat(all[i])) | quietBit).as("half %04x", i)
                    .isEqualTo(Float.floatToRawIntBits(f16[i]) | quietBit);
            assertThat(Float.floatToRawIntBits(FloatConversions.bf16ToF32(all[i]))).as("bf16 %04x", i).isEqualTo(Float.floatToRawIntBits(bf16[i]));
        }
        // float -> bf16: ties both ways, subnormals, infinities, NaN, random bits
        Random rnd = new Random(11);
        float[] probe = new float[20000];
        int p = 0;
        for (int bits : new int[]{0x3F808000, 0x3F818000, 0x3F807FFF, 0x00000001, 0x00008000, 0x807FFFFF, 0x7F7FFFFF,
                0x7F800000, 0xFF800000, 0x7FC00001, 0x7F800001, 0xFFFFFFFF, 0}) {
            probe[p++] = Float.intBitsToFloat(bits);
        }
        while (p < probe.length) probe[p++] = Float.intBitsToFloat(rnd.nextInt());
        short[] expected = GgmlQuants.fp32ToBf16(probe);
        short[] expectedHalf = GgmlQuants.fp32ToFp16(probe);
        for (int i = 0; i < probe.length; i++) {
            assertThat(FloatConversions.f32ToBf16(probe[i])).as("bf16 of %08x", Float.floatToRawIntBits(probe[i])).isEqualTo(expected[i]);
            if (!Float.isNaN(probe[i])) {
                assertThat(Float.floatToFloat16(probe[i])).as("half of %08x", Float.floatToRawIntBits(probe[i])).isEqualTo(expectedHalf[i]);
            }
        }
    }
}
