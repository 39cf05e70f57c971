package dev.slmops.train.optim;

import dev.slmops.train.Parameters;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The vector AdamW against its scalar reference, on awkward lengths; decay only where the entry asks for it. */
class AdamWTest {

    @Test
    void vectorPathEqualsReferenceBitForBitOnAwkwardLengths() {
        for (int n : new int[]{1, 3, 7, 15, 17, 31, 33, 100, 257}) {
            Random r = new Random(n);
            float[] a = new float[2 * n + 5], b, g = new float[a.length];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
            b = a.clone();
            List<Parameters.Entry> entries = List.of(new Parameters.Entry("w", new int[]{n}, 0, n, true),
                    new Parameters.Entry("b", new int[]{n + 5}, n, n + 5, false));
            Parameters pa = new Parameters(a, g, entries), pb = new Parameters(b, g, entries);
            AdamW fast = new AdamW(new AdamW.Config(0.9, 0.99, 1e-8, 0.05), a.length);
            AdamW slow = new AdamW(new AdamW.Config(0.9, 0.99, 1e-8, 0.05), a.length);
            for (int step = 0; step < 5; step++) {
                for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
                fast.step(pa, 1e-2);
                slow.stepReference(pb, 1e-2);
            }
            assertThat(a).as("n=%d", n).isEqualTo(b);
            assertThat(fast.firstMoment()).isEqualTo(slow.firstMoment());
            assertThat(fast.secondMoment()).isEqualTo(slow.secondMoment());
        }
    }

    @Test
    void twoThreadsGiveTheSameBitsAsOne() {
        int n = 3 * AdamW.CHUNK + 17, split = AdamW.CHUNK + 5;
        Random r = new Random(2);
        float[] a = new float[n], g = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
            g[i] = (float) r.nextGaussian() * 30;
        }
        float[] b = a.clone(), g2 = g.clone();
        List<Parameters.Entry> entries = List.of(new Parameters.Entry("w", new int[]{split}, 0, split, true),
                new Parameters.Entry("b", new int[]{n - split}, split, n - split, false));
        Parameters one = new Parameters(a, g, entries), two = new Parameters(b, g2, entries);
        AdamW serial = new AdamW(new AdamW.Config(0.9, 0.99, 1e-8, 0.05), n);
        AdamW parallel = new AdamW(new AdamW.Config(0.9, 0.99, 1e-8, 0.05), n);
        try (var pool = new dev.slmops.tensor.parallel.WorkerPool(2)) {
            for (int step = 0; step < 3; step++) {
                assertThat(GradClip.clip(g2, 1.0, pool)).isEqualTo(GradClip.clip(g, 1.0));
                serial.step(one, 1e-2);
                parallel.step(two, 1e-2, pool);
            }
        }
        assertThat(b).isEqualTo(a);
        assertThat(parallel.secondMoment()).isEqualTo(serial.secondMoment());
    }

    @Test
    void weightDecayShrinksOnlyDecayEntriesWhenGradientsAreZero() {
        float[] v = {1f, 1f, 1f, 1f};
        Parameters p = new Parameters(v, new float[4], List.of(new Parameters.Entry("w", new int[]{2}, 0, 2, true),
                new Parameters.Entry("bias", new int[]{2}, 2, 2, false)));
        new AdamW(new AdamW.Config(0.9, 0.999, 1e-8, 0.1), 4).step(p, 0.5);
        assertThat(v).containsExactly(0.95f, 0.95f, 1f, 1f);
    }

    @Test
    void stateOfAnotherModelIsRefusedClearly() {
        Parameters p = new Parameters(new float[3], new float[3], List.of());
        assertThatThrownBy(() -> new AdamW(AdamW.Config.defaults(), 4).step(p, 1e-3))
                .hasMessageContaining("optimizer state holds 4 values but the model has 3 parameters");
        assertThatThrownBy(() -> new AdamW.Config(1.0, 0.999, 1e-8, 0)).hasMessageContaining("beta1");
    }

    @Test
    void globalNormMatchesReferenceAndClipScalesToMaxNorm() {
        Random r = new Random(7);
        float[] g = new float[10_007];
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        double ref = GradClip.globalNormReference(g);
        assertThat(GradClip.globalNorm(g)).isCloseTo(ref, org.assertj.core.data.Percentage.withPercentage(1e-5));
        double before = GradClip.clip(g, 1.0);
        assertThat(before).isCloseTo(ref, org.assertj.core.data.Percentage.withPercentage(1e-5));
        assertThat(GradClip.globalNormReference(g)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(GradClip.clip(g, 0)).isCloseTo(GradClip.globalNormReference(g), org.assertj.core.data.Percentage.withPercentage(1e-5));
    }
}
