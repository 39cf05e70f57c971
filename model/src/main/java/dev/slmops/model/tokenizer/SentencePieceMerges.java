package dev.slmops.model.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The BPE merge list of a SentencePiece-BPE vocabulary (pieces + scores), as Hugging Face's converter derives it
 * for Llama-2-style tokenizer.json files: every pair (a, b) of pieces whose concatenation is a piece, ordered by
 * that piece's score, highest first; pairs of equal score keep vocabulary order (the piece's id, then a's id, then
 * b's id). A BPE that merges by this rank picks, among adjacent pairs, the one that forms the best-scoring piece,
 * which is what SentencePiece (and llama.cpp's "llama" tokenizer) does by score.
 */
final class SentencePieceMerges {
    private SentencePieceMerges() {
    }

    /** A merge: pieces {@code left} and {@code right} (ids) become the piece {@code merged}. */
    record Merge(int left, int right, int merged) {
    }

    /**
     * @param pieces id -> piece (▁ for space); duplicates resolve to their first id
     * @param scores id -> score, higher merges first
     * @return the merges in rank order (rank 0 first)
     */
    static List<Merge> derive(String[] pieces, float[] scores) {
        if (pieces.length != scores.length) {
            throw new IllegalArgumentException(pieces.length + " pieces but " + scores.length + " scores");
        }
        Map<String, Integer> ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) ids.putIfAbsent(pieces[i], i);
        List<Merge> merges = new ArrayList<>();
        for (int id = 0; id < pieces.length; id++) {
            String piece = pieces[id];
            if (ids.get(piece) != id) continue;                      // a duplicate piece is reachable by its first id only
            int from = merges.size();
            // split points at code point boundaries: "a😀b" splits as a|😀b and a😀|b, never inside the surrogate pair
            for (int cut = piece.offsetByCodePoints(0, Math.min(1, piece.length())); cut > 0 && cut < piece.length();
                 cut = piece.offsetByCodePoints(cut, 1)) {
                Integer left = ids.get(piece.substring(0, cut)), right = ids.get(piece.substring(cut));
                if (left != null && right != null) merges.add(new Merge(left, right, id));
            }
            merges.subList(from, merges.size()).sort(Comparator.comparingInt(Merge::left).thenComparingInt(Merge::right));
        }
        // List.sort is stable: equal scores keep the vocabulary order built above
        merges.sort((a, b) -> Float.compare(scores[b.merged()], scores[a.merged()]));
        return merges;
    }
}
