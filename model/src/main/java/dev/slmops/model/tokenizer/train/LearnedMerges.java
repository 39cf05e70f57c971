package dev.slmops.model.tokenizer.train;

import java.util.List;

/**
 * What a merge learner produces: the token table (id -> bytes; ids 0..255 are the single bytes, then the
 * learned tokens in the order they were first made) and the merges in rank order: merge r joins
 * {@code left[r]} and {@code right[r]} into {@code result[r]}. A merge whose result already existed (the same
 * bytes reached by another path) reuses that id, so there can be more merges than learned tokens.
 *
 * @param corpusExhausted true when learning stopped because no pair reached the minimum frequency
 *                        (rather than because the token budget was used up)
 */
record LearnedMerges(List<byte[]> tokens, int[] left, int[] right, int[] result, long[] frequency,
                     boolean corpusExhausted) {
    int mergeCount() {
        return left.length;
    }

    int learnedTokenCount() {
        return tokens.size() - 256;
    }
}
