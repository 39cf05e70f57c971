package dev.slmops.testkit.ggml;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static dev.slmops.testkit.ggml.GgmlQuants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ggml's quantizers through FFM: block geometry, round trips with bounded error, and the fp16/bf16 helpers. */
class GgmlQuantsTest {
    static final int ROWS = 4, PER_ROW = 512;

    static float[] gaussian(int n, long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    @Test
    void blockGeometryIsGgmls() {
        record Geometry(int type, String name, int block, long bytes) {}
        Geometry[] expected = {
                new Geometry(F32, "f32", 1, 4), new Geometry(F16, "f16", 1, 2), new Geometry(BF16, "bf16", 1, 2),
                new Geometry(Q4_0, "q4_0", 32, 18), new Geometry(Q4_1, "q4_1", 32, 20),
                new Geometry(Q5_0, "q5_0", 32, 22), new Geometry(Q5_1, "q5_1", 32, 24),
                new Geometry(Q8_0, "q8_0", 32, 34), new Geometry(Q2_K, "q2_K", 256, 84),
                new Geometry(Q3_K, "q3_K", 256, 110), new Geometry(Q4_K, "q4_K", 256, 144),
                new Geometry(Q5_K, "q5_K", 256, 176), new Geometry(Q6_K, "q6_K", 256, 210),
                new Geometry(Q8_K, "q8_K", 256, 292)};
        for (Geometry g : expected) {
            assertThat(typeName(g.type())).isEqualTo(g.name());
            assertThat(blockSize(g.type())).as(g.name()).isEqualTo(g.block());
            assertThat(typeSize(g.type())).as(g.name()).isEqualTo(g.bytes());
            assertThat(rowSize(g.type(), 4096)).as(g.name()).isEqualTo(4096 / g.block() * g.bytes());
        }
        assertThat(isQuantized(Q4_K)).isTrue();
        assertThat(isQuantized(F16)).isFalse();
    }

    @Test
    void roundTripsHaveSmallErrors() {
        float[] src = gaussian(ROWS * PER_ROW, 1);
        // relative RMS error budgets (error RMS / data RMS) for unit Gaussian data, >= 1.5x what ggml gets
        // (measured: q8_0 0.0054, q6_K 0.0177, q5_K 0.0364, q4_K 0.0716, q4_0 0.0877, q4_1 0.0794, q5_0 0.0442)
        int[] types = {Q8_0, Q6_K, Q5_K, Q4_K, Q4_0, Q4_1, Q5_0};
        double[] budget = {0.01, 0.03, 0.06, 0.12, 0.14, 0.12, 0.07};
        for (int t = 0; t < types.length; t++) {
            int type = types[t];
            byte[] blocks = quantize(type, src, ROWS, PER_ROW, null);
            assertThat((long) blocks.length).isEqualTo(ROWS * rowSize(type, PER_ROW));
            float[] back = dequantize(type, blocks, src.length);
            double err = 0, ref = 0;
            for (int i = 0; i < src.length; i++) {
                err += (back[i] - src[i]) * (double) (back[i] - src[i]);
                ref += src[i] * (double) src[i];
            }
            double rel = Math.sqrt(err / ref);
            System.out.printf("%-5s relative RMS error %.4f (budget %.2f)%n", typeName(type), rel, budget[t]);
            assertThat(rel).as(typeName(type)).isLessThan(budget[t]);
        }
    }

    @Test
    void awkwardBlockAndRowCountsRoundTrip() {
        for (int type : new int[] {Q8_0, Q4_0, Q4_K, Q6_K}) {
            int block = blockSize(type);
            for (int blocksPerRow : new int[] {1, 3, 7, 17}) {
                for (int rows : new int[] {1, 3}) {
                    float[] src = gaussian(rows * blocksPerRow * block, 31L * blocksPerRow + rows);
                    byte[] q = quantize(type, src, rows, blocksPerRow * block, null);
                    assertThat((long) q.length).isEqualTo(rows * rowSize(type, (long) blocksPerRow * block));
                    float[] back = dequantize(type, q, src.length);
                    double worst = 0;
                    for (int i = 0; i < src.length; i++) worst = Math.max(worst, Math.abs(back[i] - src[i]));
                    assertThat(worst).as("%s, %d blocks x %d rows", typeName(type), blocksPerRow, rows).isLessThan(1.0);
                }
            }
        }
    }

    @Test
    void q8_0BlocksDecodeByHandAsGgmlDoes() {
        float[] src = gaussian(3 * 32, 2);
        byte[] blocks = quantize(Q8_0, src, 1, src.length, null);
        float[] ggml = dequantize(Q8_0, blocks, src.length);
        ByteBuffer bb = ByteBuffer.wrap(blocks).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < 3; b++) {
            // block_q8_0: ggml_half d; int8_t qs[32]
            float d = Float.float16ToFloat(bb.getShort(b * 34));
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(src[b * 32 + i]));
            for (int i = 0; i < 32; i++) {
                float mine = d * blocks[b * 34 + 2 + i];
                assertThat(ggml[b * 32 + i]).isEqualTo(mine);
                assertThat(Math.abs(mine - src[b * 32 + i])).isLessThanOrEqualTo(amax / 127f);
            }
        }
    }

    @Test
    void chunkQuantizerWithoutImportanceIsTheReferenceQuantizer() {
        float[] src = gaussian(PER_ROW, 3);
        for (int type : new int[] {Q8_0, Q4_0, Q4_K, Q6_K}) {
            assertThat(quantize(type, src, 1, PER_ROW, null)).as(typeName(type)).isEqualTo(quantizeRef(type, src));
        }
    }

    @Test
    void importanceWeightsAreUsed() {
        float[] src = gaussian(PER_ROW, 4);
        float[] importance = new float[PER_ROW];
        for (int i = 0; i < PER_ROW; i++) importance[i] = i % 2 == 0 ? 100f : 0.01f;
        byte[] plain = quantize(Q4_K, src, 1, PER_ROW, null);
        byte[] weighted = quantize(Q4_K, src, 1, PER_ROW, importance);
        assertThat(weighted).isNotEqualTo(plain);
        float[] back = dequantize(Q4_K, weighted, PER_ROW);
        float[] backPlain = dequantize(Q4_K, plain, PER_ROW);
        double errWeighted = 0, errPlain = 0;
        for (int i = 0; i < PER_ROW; i += 2) {
            errWeighted += Math.pow(back[i] - src[i], 2);
            errPlain += Math.pow(backPlain[i] - src[i], 2);
        }
        assertThat(errWeighted).isLessThan(errPlain); // the heavily weighted values come out better
    }

    @Test
    void fp16AndBf16MatchTheJdk() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        float[] halfs = fp16ToFp32(all);
        for (int i = 0; i < all.length; i++) {
            float jdk = Float.float16ToFloat(all[i]);
            if (Float.isNaN(jdk)) assertThat(halfs[i]).isNaN();
            else assertThat(halfs[i]).as("half 0x%04x", i).isEqualTo(jdk);
        }
        float[] values = gaussian(10_000, 5);
        short[] toHalf = fp32ToFp16(values);
        for (int i = 0; i < values.length; i++) assertThat(toHalf[i]).isEqualTo(Float.floatToFloat16(values[i]));

        assertThat(fp32ToBf16(new float[] {1f, 1.00390625f, 1.01171875f, -2f}))
                .containsExactly((short) 0x3F80, (short) 0x3F80, (short) 0x3F82, (short) 0xC000); // ties to even
        assertThat(bf16ToFp32(new short[] {(short) 0x3F80, (short) 0x4049})).containsExactly(1f, 3.140625f);
    }

    @Test
    void badArgumentsGiveClearErrorsNotAborts() {
        assertThatThrownBy(() -> blockSize(99)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("99");
        assertThatThrownBy(() -> blockSize(4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("removed");
        assertThatThrownBy(() -> quantize(Q8_1, new float[32], 1, 32, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q8_1");
        assertThatThrownBy(() -> quantize(Q4_K, new float[100], 1, 100, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256");
        assertThatThrownBy(() -> quantize(Q8_0, new float[64], 3, 32, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 values");
        assertThatThrownBy(() -> dequantize(Q8_0, new byte[33], 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("34 bytes");
        assertThatThrownBy(() -> quantize(16 /* IQ2_XXS */, new float[256], 1, 256, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("importance");
    }
}
