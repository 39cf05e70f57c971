package dev.slmops.tensor.ops;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class DecodeHeadTest {
    /**
     * Page by page, four keys at a time and values summed in registers gives exactly the bits of the per-key form
     * (a dot product, then an axpy, per key in order), on head dims with and without whole 4-vector chunks, one that
     * is not a multiple of the vector length (the scalar twins run), and key ranges that cross page edges.
     */
    @Test
    void theSameBitsAsOneDotAndOneAxpyPerKey() {
        Random r = new Random(5);
        for (int hd : new int[]{64, 128, 24, 17}) {
            int kvHeads = 2, kvRow = kvHeads * hd, pageRows = 7;
            for (int[] range : new int[][]{{0, 1}, {0, 5}, {3, 30}, {6, 8}, {0, 41}}) {
                int from = range[0], to = range[1], pages = (to + pageRows - 1) / pageRows;
                float[][] k = new float[pages][pageRows * kvRow], v = new float[pages][pageRows * kvRow];
                for (int pg = 0; pg < pages; pg++) {
                    for (int i = 0; i < k[pg].length; i++) {
                        k[pg][i] = (float) r.nextGaussian();
                        v[pg][i] = (float) r.nextGaussian();
                    }
                }
                float[] q = new float[3 * hd];
                for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
                int qo = hd, kvHead = hd; // query head 1, KV head 1
                float scale = 0.125f;
                float[] expected = new float[hd + 2], out = new float[hd + 2];
                float[] w = new float[to - from];
                for (int pos = from; pos < to; pos++) {
                    w[pos - from] = Attention.dot(q, qo, k[pos / pageRows], (pos % pageRows) * kvRow + kvHead, hd) * scale;
                }
                Softmax.apply(w, 0, w.length);
                for (int pos = from; pos < to; pos++) {
                    Attention.axpy(w[pos - from], v[pos / pageRows], (pos % pageRows) * kvRow + kvHead, expected, 1, hd);
                }
                DecodeHead.attend(q, qo, k, v, pageRows, kvRow, kvHead, hd, from, to, scale, 0f, out, 1);
                for (int i = 0; i < out.length; i++) {
                    assertThat(Float.floatToRawIntBits(out[i])).as("hd=%d keys [%d, %d) out[%d]: %s vs %s", hd, from, to,
                            i, out[i], expected[i]).isEqualTo(Float.floatToRawIntBits(expected[i]));
                }
            }
        }
    }
}
