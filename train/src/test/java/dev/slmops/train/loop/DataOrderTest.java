package dev.slmops.train.loop;

import dev.slmops.train.Example;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The data order is part of the checkpoint format: it must stay a fixed function of (seed, epoch). */
class DataOrderTest {
    @Test
    void aPermutationPerEpochFixedBySeedAndEpoch() {
        int[] p = DataOrder.permutation(42, 0, 10);
        assertThat(Arrays.stream(p).sorted().toArray()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(DataOrder.permutation(42, 0, 10)).isEqualTo(p);
        assertThat(DataOrder.permutation(42, 1, 10)).isNotEqualTo(p);
        assertThat(DataOrder.permutation(43, 0, 10)).isNotEqualTo(p);
        // pinned: a change here breaks resuming checkpoints written by earlier versions
        assertThat(p).containsExactly(5, 4, 6, 9, 2, 0, 7, 1, 8, 3);
    }

    @Test
    void stepsPerEpochCountTheShortLastStep() {
        assertThat(DataOrder.microBatchesPerEpoch(10, 4)).isEqualTo(3);
        assertThat(DataOrder.stepsPerEpoch(10, 4, 2)).isEqualTo(2);
        assertThat(DataOrder.stepsPerEpoch(10, 1, 3)).isEqualTo(4);
    }

    @Test
    void theFingerprintSeesTokensAndMasks() {
        Example a = new Example(new int[]{1, 2, 3}, new boolean[]{false, true, true});
        Example b = new Example(new int[]{1, 2, 3}, new boolean[]{false, false, true});
        assertThat(DataOrder.fingerprint(List.of(a))).isEqualTo(DataOrder.fingerprint(List.of(a))).startsWith("1:");
        assertThat(DataOrder.fingerprint(List.of(a))).isNotEqualTo(DataOrder.fingerprint(List.of(b)));
        assertThat(DataOrder.fingerprint(List.of(a, b))).isNotEqualTo(DataOrder.fingerprint(List.of(b, a)));
    }
}
