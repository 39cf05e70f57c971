package dev.slmops.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The heap merge loop against the naive rescanning one, on random merge tables and words of awkward lengths. */
class BpeMergerTest {

    @Test
    void heapAndNaiveMergeIdentically() {
        SplittableRandom r = new SplittableRandom(11);
        for (int table = 0; table < 50; table++) {
            int alphabet = 3 + r.nextInt(6);
            PairRanks merges = new PairRanks(200);
            int nextId = alphabet;
            for (int m = 0; m < 150; m++) merges.add(r.nextInt(nextId), r.nextInt(nextId), nextId++);
            for (int len : new int[]{0, 1, 2, 3, 7, 15, 17, 31, 33, 47, 48, 49, 64, 100, 333}) {
                int[] word = new int[len];
                for (int i = 0; i < len; i++) word[i] = r.nextInt(alphabet);
                int[] a = word.clone(), b = word.clone();
                int na = BpeMerger.mergeNaive(merges, a, len), nb = BpeMerger.mergeHeap(merges, b, len);
                assertThat(Arrays.copyOf(b, nb)).as("table %d length %d", table, len).isEqualTo(Arrays.copyOf(a, na));
            }
        }
    }

    @Test
    void lowestRankFirstLeftmostOnTies() {
        PairRanks merges = new PairRanks(4);
        merges.add(0, 0, 1);        // rank 0: a a -> A
        merges.add(1, 0, 2);        // rank 1: A a -> B
        int[] w = {0, 0, 0};
        int n = BpeMerger.mergeNaive(merges, w, 3);
        assertThat(Arrays.copyOf(w, n)).containsExactly(2);   // (a a) a -> A a -> B
    }
}
