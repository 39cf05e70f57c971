package dev.slmops.model.format.gguf;

import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class LlamaQkPermutationTest {

    /** Rows 0..rows-1 labelled by their value, permuted, read back as labels. */
    private static long[] permutedLabels(int rows, int nHead) {
        long[] out = new long[rows];
        for (int r = 0; r < rows; r++) out[(int) LlamaQkPermutation.ggufRowOf(r, rows, nHead)] = r;
        return out;
    }

    @Test
    void handComputedExample() {
        // 2 heads of 4 rows: HF head rows [x0 x1 | y0 y1] (first half, second half) interleave to [x0 y0 x1 y1]
        assertThat(permutedLabels(8, 2)).containsExactly(0, 2, 1, 3, 4, 6, 5, 7);
        // 1 head of 6 rows: [a b c | d e f] -> [a d b e c f]
        assertThat(permutedLabels(6, 1)).containsExactly(0, 3, 1, 4, 2, 5);
        // GQA k: 8 rows as 1 kv head of 8 -> [0 4 1 5 2 6 3 7]
        assertThat(permutedLabels(8, 1)).containsExactly(0, 4, 1, 5, 2, 6, 3, 7);
    }

    @Test
    void bytesOfAWeightMatrixMoveAsWholeRows() {
        // W: 4 rows x 3 cols, row r = [10r, 10r+1, 10r+2]; 1 head of 4 -> rows [0 2 1 3]
        float[] w = new float[12];
        for (int r = 0; r < 4; r++) for (int c = 0; c < 3; c++) w[r * 3 + c] = 10 * r + c;
        MemorySegment dst = MemorySegment.ofArray(new float[12]);
        LlamaQkPermutation.hfToGguf(MemorySegment.ofArray(w), dst, 4, 12, 1);
        assertThat(dst.toArray(ValueLayout.JAVA_FLOAT)).containsExactly(0, 1, 2, 20, 21, 22, 10, 11, 12, 30, 31, 32);
    }

    @Test
    void forwardAndInverseAreInverses() {
        Random rnd = new Random(1);
        for (int[] c : new int[][]{{8, 2}, {64, 4}, {96, 1}, {12, 3}, {2, 1}}) {
            int rows = c[0], heads = c[1];
            for (int r = 0; r < rows; r++) {
                assertThat(LlamaQkPermutation.hfRowOf(LlamaQkPermutation.ggufRowOf(r, rows, heads), rows, heads)).isEqualTo(r);
                assertThat(LlamaQkPermutation.ggufRowOf(LlamaQkPermutation.hfRowOf(r, rows, heads), rows, heads)).isEqualTo(r);
            }
            int cols = 5;
            byte[] data = new byte[rows * cols * 2];
            rnd.nextBytes(data);
            MemorySegment there = MemorySegment.ofArray(new byte[data.length]);
            MemorySegment back = MemorySegment.ofArray(new byte[data.length]);
            LlamaQkPermutation.hfToGguf(MemorySegment.ofArray(data), there, rows, cols * 2, heads);
            LlamaQkPermutation.ggufToHf(there, back, rows, cols * 2, heads);
            assertThat(back.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(data);
        }
    }

    @Test
    void streamingSourcesPermuteAndConvert() throws Exception {
        float[] w = new float[8 * 2];
        for (int i = 0; i < w.length; i++) w[i] = i * 0.5f;
        StoredTensor hf = new StoredTensor("q", DType.F32, new long[]{8, 2}, MemorySegment.ofArray(w));
        byte[] gguf = drain(LlamaQkPermutation.hfToGguf(hf, 2, DType.F16));
        StoredTensor g = new StoredTensor("q", DType.F16, new long[]{8, 2}, MemorySegment.ofArray(gguf));
        // GGUF row 1 is HF row 2
        assertThat(FloatConversions.read(DType.F16, g.data(), 2)).isEqualTo(w[4]);
        byte[] back = drain(LlamaQkPermutation.ggufToHf(g, 2, DType.F32));
        assertThat(MemorySegment.ofArray(back).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED)).containsExactly(w);
    }

    private static byte[] drain(TensorBytes s) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        s.writeTo(Channels.newChannel(bos));
        return bos.toByteArray();
    }

}
