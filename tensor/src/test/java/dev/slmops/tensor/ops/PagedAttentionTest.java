package dev.slmops.tensor.ops;

import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Paged keys/values give the naive oracle's attention (decode and prefill, pages of awkward sizes). */
class PagedAttentionTest {
    private static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    /** Splits rows [0, end) of a [end, kvRow] array into pages of pageRows rows (the last page padded with noise). */
    static float[][] paged(float[] all, int kvRow, int pageRows, int end, Random r) {
        int n = (end + pageRows - 1) / pageRows;
        float[][] pages = new float[n][pageRows * kvRow];
        for (float[] p : pages) for (int i = 0; i < p.length; i++) p[i] = r.nextFloat() * 100; // never read
        for (int pg = 0; pg < n; pg++) {
            int rows = Math.min(pageRows, end - pg * pageRows);
            System.arraycopy(all, pg * pageRows * kvRow, pages[pg], 0, rows * kvRow);
        }
        return pages;
    }

    @Test
    void pagedAttentionMatchesTheOracle() {
        Random r = new Random(11);
        for (int pageRows : new int[]{1, 3, 16, 64}) {
            for (int[] heads : new int[][]{{4, 4}, {6, 2}}) {
                for (int window : new int[]{0, 5}) {
                    for (int nQuery : new int[]{1, 1, 7}) {
                        int headDim = 17 + r.nextInt(48), first = r.nextInt(40), kvEnd = first + nQuery, kvRow = heads[1] * headDim;
                        Attention.Params p = new Attention.Params(heads[0], heads[1], headDim, (float) (1 / Math.sqrt(headDim)), window, 0f);
                        float[] q = OpsTest.gaussian(nQuery * heads[0] * headDim, r.nextLong(), 2);
                        float[] k = OpsTest.gaussian(kvEnd * kvRow, r.nextLong(), 2);
                        float[] v = OpsTest.gaussian(kvEnd * kvRow, r.nextLong(), 1);
                        float[] out = new float[q.length + 2];
                        PagedAttention.attend(p, q, 0, nQuery, first, paged(k, kvRow, pageRows, kvEnd, r),
                                paged(v, kvRow, pageRows, kvEnd, r), pageRows, 0, kvEnd, out, 2, POOL);
                        float[] ref = Attention.reference(p, q, nQuery, first, k, v, 0, kvEnd);
                        OpsTest.assertClose("paged attention pageRows=" + pageRows + " heads=" + heads[0] + "/" + heads[1]
                                + " window=" + window + " queries=" + nQuery + " end=" + kvEnd, ref, out, 2, 1e-4, 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void aDecodeStepOfSeveralSequencesMatchesEachAlone() {
        Random r = new Random(5);
        int n = 5, headDim = 24;
        Attention.Params p = new Attention.Params(6, 2, headDim, 0.2f, 0, 0f);
        int kvRow = 2 * headDim, qRow = 6 * headDim;
        float[] q = OpsTest.gaussian(n * qRow, 1, 2);
        int[] qOff = new int[n], pos = new int[n], pageRows = new int[n];
        float[][][] kp = new float[n][][], vp = new float[n][][];
        float[][] refs = new float[n][];
        for (int i = 0; i < n; i++) {
            qOff[i] = i * qRow;
            pos[i] = r.nextInt(50);
            pageRows[i] = 1 + r.nextInt(20);
            float[] k = OpsTest.gaussian((pos[i] + 1) * kvRow, r.nextLong(), 2), v = OpsTest.gaussian((pos[i] + 1) * kvRow, r.nextLong(), 1);
            kp[i] = paged(k, kvRow, pageRows[i], pos[i] + 1, r);
            vp[i] = paged(v, kvRow, pageRows[i], pos[i] + 1, r);
            refs[i] = Attention.reference(p, java.util.Arrays.copyOfRange(q, qOff[i], qOff[i] + qRow), 1, pos[i], k, v, 0, pos[i] + 1);
        }
        float[] out = new float[n * qRow];
        PagedAttention.attendDecode(p, q, qOff, pos, kp, vp, pageRows, out, qOff, n, POOL);
        for (int i = 0; i < n; i++) {
            OpsTest.assertClose("sequence " + i + " at " + pos[i], refs[i], out, qOff[i], 1e-4, 1e-5);
        }
    }

    @Test
    void tooFewPagesIsAClearError() {
        Attention.Params p = Attention.Params.of(1, 1, 4);
        assertThatThrownBy(() -> PagedAttention.attend(p, new float[4], 0, 1, 8, new float[][]{new float[16]},
                new float[][]{new float[16]}, 4, 0, 9, new float[4], 0, POOL)).hasMessageContaining("fewer than 9 positions");
    }

    /**
     * F16 pages (as an F16 KV cache stores them) give the bits of the same pages widened to F32, in a batch mixing
     * F16 and F32 sequences, with grouped query heads and a sliding window, on halves that include subnormals, zeros,
     * the largest finite half and, in values, infinities and NaNs.
     */
    @Test
    void f16PagesGiveTheBitsOfTheWidenedPages() {
        Random r = new Random(9);
        short[] special = {0x0001, (short) 0x8001, 0x03FF, 0x0000, (short) 0x8000, 0x7BFF, (short) 0xFBFF, 0x0400,
                0x7C00, (short) 0xFC00, 0x7E01};
        for (int window : new int[]{0, 6}) {
            for (int headDim : new int[]{64, 24}) {
                int n = 4, kvHeads = 2, heads = 6, kvRow = kvHeads * headDim, qRow = heads * headDim;
                Attention.Params p = new Attention.Params(heads, kvHeads, headDim, 0.125f, window, 0f);
                float[] q = OpsTest.gaussian(n * qRow, r.nextLong(), 2);
                int[] qOff = new int[n], pos = new int[n], pageRows = new int[n];
                float[][][] kp = new float[n][][], vp = new float[n][][], kMixed = new float[n][][], vMixed = new float[n][][];
                short[][][] kh = new short[n][][], vh = new short[n][][];
                for (int i = 0; i < n; i++) {
                    qOff[i] = i * qRow;
                    pos[i] = r.nextInt(40);
                    pageRows[i] = 1 + r.nextInt(16);
                    int pages = pos[i] / pageRows[i] + 1;
                    kh[i] = new short[pages][pageRows[i] * kvRow];
                    vh[i] = new short[pages][pageRows[i] * kvRow];
                    kp[i] = new float[pages][pageRows[i] * kvRow];
                    vp[i] = new float[pages][pageRows[i] * kvRow];
                    for (int pg = 0; pg < pages; pg++) {
                        for (int j = 0; j < kh[i][pg].length; j++) {
                            kh[i][pg][j] = r.nextInt(8) == 0 ? special[r.nextInt(8)] : Float.floatToFloat16((float) r.nextGaussian());
                            vh[i][pg][j] = r.nextInt(16) == 0 ? special[r.nextInt(special.length)]
                                    : Float.floatToFloat16((float) r.nextGaussian());
                            kp[i][pg][j] = Float.float16ToFloat(kh[i][pg][j]);
                            vp[i][pg][j] = Float.float16ToFloat(vh[i][pg][j]);
                        }
                    }
                    if (i % 2 == 1) { // odd sequences F32 in the mixed batch
                        kMixed[i] = kp[i];
                        vMixed[i] = vp[i];
                    }
                }
                float[] expected = new float[n * qRow], half = new float[n * qRow], mixed = new float[n * qRow];
                PagedAttention.attendDecode(p, q, qOff, pos, kp, vp, pageRows, expected, qOff, n, POOL);
                PagedAttention.attendDecode(p, q, qOff, pos, null, null, kh, vh, pageRows, half, qOff, n, POOL);
                PagedAttention.attendDecode(p, q, qOff, pos, kMixed, vMixed, kh, vh, pageRows, mixed, qOff, n, POOL);
                for (int j = 0; j < expected.length; j++) {
                    String what = "window " + window + " head dim " + headDim + " output " + j + ": ";
                    assertThat(Float.floatToIntBits(half[j])).as(what + half[j] + " vs " + expected[j])
                            .isEqualTo(Float.floatToIntBits(expected[j]));
                    assertThat(Float.floatToIntBits(mixed[j])).as(what + "mixed " + mixed[j] + " vs " + expected[j])
                            .isEqualTo(Float.floatToIntBits(expected[j]));
                }
            }
        }
    }
}
