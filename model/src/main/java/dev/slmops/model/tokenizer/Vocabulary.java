package dev.slmops.model.tokenizer;

import java.util.OptionalInt;

/**
 * A tokenizer's id <-> string table. Ids without a string (holes in a sparse tokenizer.json) hold null; a string
 * that appears twice maps to its first id.
 *
 * <p>String -> id is an open-addressing table of ids over the strings' own hashes (linear probing, at most half
 * full): 4 to 8 bytes per token where a {@code HashMap<String, Integer>} took ~60 (its nodes and boxed ids), which
 * was ~9 MB of heap for a 152k-token vocabulary (Qwen2.5) held for the life of a model.
 */
final class Vocabulary {
    private final String[] tokens;
    /** slot -> id + 1, 0 = empty. */
    private final int[] slots;
    private final int mask;

    Vocabulary(String[] tokens) {
        this.tokens = tokens;
        int n = Integer.highestOneBit(Math.max(16, 2 * tokens.length - 1)) << 1;
        this.slots = new int[n];
        this.mask = n - 1;
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (t == null) continue;
            int s = home(t);
            while (slots[s] != 0 && !tokens[slots[s] - 1].equals(t)) s = (s + 1) & mask;
            if (slots[s] == 0) slots[s] = i + 1; // a repeated string keeps its first id
        }
    }

    private int home(String token) {
        int h = token.hashCode() * 0x9E3779B9; // Fibonacci hashing: the high bits mix every bit of the hash
        return (h ^ (h >>> 16)) & mask;
    }

    int size() {
        return tokens.length;
    }

    /** Throws a clear error for an id outside [0, size). */
    void checkId(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + tokens.length + ")");
        }
    }

    String token(int id) {
        checkId(id);
        return tokens[id];
    }

    /** The id of a vocabulary string, or -1. */
    int id(String token) {
        for (int s = home(token); slots[s] != 0; s = (s + 1) & mask) {
            if (tokens[slots[s] - 1].equals(token)) return slots[s] - 1;
        }
        return -1;
    }

    OptionalInt tokenId(String token) {
        int id = id(token);
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The strings by id (shared, not copied: do not modify). */
    String[] tokens() {
        return tokens;
    }
}
