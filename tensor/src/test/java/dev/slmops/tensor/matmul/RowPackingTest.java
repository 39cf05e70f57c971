package dev.slmops.tensor.matmul;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/** The row-to-panel transpose (16 x 16 vector blocks where the machine has them) against its scalar definition. */
class RowPackingTest {

    @Test
    void transposeToPanelEqualsTheReferenceOnAwkwardShapes() {
        SplittableRandom r = new SplittableRandom(5);
        int nr = MicroKernel.NR;
        int[] lives = {0, 1, 3, 15, 16, 17, 31, 32, 33, 48, nr - 1, nr};
        int[] kcs = {1, 15, 16, 17, 32, 47, 192, 200};
        for (int live : lives) {
            if (live > nr) continue;
            for (int kc : kcs) {
                int ld = kc + r.nextInt(3), off = r.nextInt(5);
                float[] src = new float[off + Math.max(1, live) * ld];
                for (int i = 0; i < src.length; i++) src[i] = (float) r.nextGaussian();
                float[] fast = new float[kc * nr], ref = new float[kc * nr];
                java.util.Arrays.fill(fast, Float.NaN); // the padding columns must be written too
                RowPacking.transposeToPanel(src, off, ld, live, kc, fast);
                RowPacking.transposeReference(src, off, ld, live, kc, ref);
                for (int i = 0; i < ref.length; i++) {
                    if (Float.floatToRawIntBits(fast[i]) != Float.floatToRawIntBits(ref[i])) {
                        fail("live " + live + " kc " + kc + " ld " + ld + ": panel[" + i / nr + "][" + i % nr + "] = "
                                + fast[i] + ", reference " + ref[i]);
                    }
                }
            }
        }
    }
}
