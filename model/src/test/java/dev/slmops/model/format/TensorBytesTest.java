package dev.slmops.model.format;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The chunked streaming of {@link TensorBytes} against the tensor layer's element-by-element reference. */
class TensorBytesTest {

    private static byte[] streamed(TensorBytes b) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        b.writeTo(Channels.newChannel(out));
        return out.toByteArray();
    }

    @Test
    void streamedConversionsMatchTheReferenceForEveryPairAcrossChunkBoundaries() throws Exception {
        SplittableRandom r = new SplittableRandom(17);
        DType[] types = {DType.F32, DType.F16, DType.BF16};
        int c = TensorBytes.CHUNK_ELEMENTS;
        for (int n : new int[]{0, 1, 3, 33, c - 1, c, c + 7, 3 * c + 1}) {
            for (DType from : types) {
                byte[] raw = new byte[n * from.blockBytes];
                for (int i = 0; i < raw.length; i++) raw[i] = (byte) r.nextInt(256);   // includes NaN, inf, subnormals
                MemorySegment src = MemorySegment.ofArray(raw);
                for (DType to : types) {
                    byte[] want = new byte[n * to.blockBytes];
                    FloatConversions.convertReference(src, from, MemorySegment.ofArray(want), to, n);
                    byte[] got = streamed(TensorBytes.converting(src, from, to));
                    assertThat(Arrays.mismatch(got, want)).as("%s -> %s, n=%d", from, to, n).isEqualTo(-1);
                }
            }
        }
    }

    @Test
    void floatArraysAreWrittenLittleEndianInTheAskedType() throws Exception {
        float[] v = new float[TensorBytes.CHUNK_ELEMENTS + 5];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i) * 1000f;
        for (DType to : new DType[]{DType.F32, DType.F16, DType.BF16}) {
            MemorySegment got = MemorySegment.ofArray(streamed(TensorBytes.ofFloats(v, to)));
            assertThat(got.byteSize()).isEqualTo(to.bytesFor(v.length));
            for (int i = 0; i < v.length; i += 97) {
                float expect = switch (to) {
                    case F16 -> Float.float16ToFloat(FloatConversions.f32ToF16Reference(v[i]));
                    case BF16 -> FloatConversions.bf16ToF32(FloatConversions.f32ToBf16Reference(v[i]));
                    default -> v[i];
                };
                assertThat(FloatConversions.read(to, got, i)).as("%s[%d]", to, i).isEqualTo(expect);
            }
        }
    }

    @Test
    void refusesConversionsOutsideTheFloatTypesNamingTheTensor() {
        StoredTensor t = new StoredTensor("blk.0.attn_q.weight", DType.Q8_0, new long[]{32}, MemorySegment.ofArray(new byte[34]));
        assertThatThrownBy(() -> TensorBytes.converting(t, DType.F16)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blk.0.attn_q.weight").hasMessageContaining("cannot convert Q8_0 to F16");
    }
}
