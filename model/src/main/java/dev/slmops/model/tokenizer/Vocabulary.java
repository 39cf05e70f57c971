package dev.slmops.model.tokenizer;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A tokenizer's id <-> string table. Ids without a string (holes in a sparse tokenizer.json) hold null; a string
 * that appears twice maps to its first id.
 */
final class Vocabulary {
    private final String[] tokens;
    private final Map<String, Integer> ids;

    Vocabulary(String[] tokens) {
        this.tokens = tokens;
        this.ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) if (tokens[i] != null) ids.putIfAbsent(tokens[i], i);
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

    /** The id of a vocabulary string, or null. */
    Integer id(String token) {
        return ids.get(token);
    }

    OptionalInt tokenId(String token) {
        Integer id = ids.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The strings by id (shared, not copied: do not modify). */
    String[] tokens() {
        return tokens;
    }
}
