package dev.slmops.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SentencePieceMergesTest {

    @Test
    void pairsAreOrderedByTheMergedPieceScoreThenByIds() {
        //                 0    1    2    3     4      5     6      7
        String[] pieces = {"a", "b", "c", "ab", "abc", "bc", "😀", "a😀"};
        float[] scores = {0f, 0f, 0f, -1f, -3f, -2f, 0f, -1f};
        List<SentencePieceMerges.Merge> merges = SentencePieceMerges.derive(pieces, scores);
        assertThat(merges).containsExactly(
                new SentencePieceMerges.Merge(0, 1, 3),      // ab   -1 (id 3 before id 7)
                new SentencePieceMerges.Merge(0, 6, 7),      // a😀  -1, split at a code point, not inside the pair
                new SentencePieceMerges.Merge(1, 2, 5),      // bc   -2
                new SentencePieceMerges.Merge(0, 5, 4),      // abc  -3: a+bc (left id 0) before ab+c (left id 3)
                new SentencePieceMerges.Merge(3, 2, 4));
    }
}
