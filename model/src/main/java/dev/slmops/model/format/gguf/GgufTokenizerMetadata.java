package dev.slmops.model.format.gguf;

import java.util.List;
import java.util.Map;

import static dev.slmops.model.format.gguf.GgufKeys.*;

/**
 * Writes {@code tokenizer.ggml.*} keys from the plain-Java map that {@code Tokenizer#toGgufMetadata()} returns,
 * giving each value llama.cpp's GGUF type, after checking that the vocabulary is consistent (llama.cpp aborts
 * loading a vocabulary whose arrays disagree). Values: String -> string, Boolean -> bool, Long/Integer -> uint32
 * (token ids), Float -> float32, lists of String/Float/Boolean -> arrays of that type, lists of whole numbers ->
 * int32 (token_type is int32 in llama.cpp).
 */
public final class GgufTokenizerMetadata {
    private GgufTokenizerMetadata() {
    }

    /** Puts every entry of {@code meta} on {@code w} with llama.cpp's types; returns {@code w}. */
    public static GgufWriter put(GgufWriter w, Map<String, ?> meta) {
        check(meta);
        for (Map.Entry<String, ?> e : meta.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            switch (v) {
                case String s -> w.putString(k, s);
                case Boolean b -> w.putBool(k, b);
                case Long l -> w.putUint32(k, l);
                case Integer i -> w.putUint32(k, i);
                case Float f -> w.putFloat32(k, f);
                case List<?> list -> w.putArray(k, elementType(list), list);
                default -> throw new IllegalArgumentException("tokenizer metadata " + k + " has an unsupported value "
                        + v.getClass().getSimpleName());
            }
        }
        return w;
    }

    private static GgufValueType elementType(List<?> list) {
        if (list.isEmpty()) return GgufValueType.STRING;
        Object first = list.getFirst();
        if (first instanceof String) return GgufValueType.STRING;
        if (first instanceof Float || first instanceof Double) return GgufValueType.FLOAT32;
        if (first instanceof Boolean) return GgufValueType.BOOL;
        return GgufValueType.INT32; // token_type is int32 in llama.cpp
    }

    /** The checks llama.cpp's vocabulary loader would otherwise fail on, with a message naming the key. */
    private static void check(Map<String, ?> meta) {
        if (!(meta.get(TOKENS) instanceof List<?> tokens)) return; // no vocabulary: nothing to cross-check
        int vocab = tokens.size();
        for (String key : List.of(SCORES, TOKEN_TYPE)) {
            if (meta.get(key) instanceof List<?> l && l.size() != vocab) {
                fail(key + " has " + l.size() + " entries for " + vocab + " tokens; it needs one per token");
            }
        }
        if (meta.get(TOKEN_TYPE) instanceof List<?> types) {
            for (Object t : types) {
                long id = ((Number) t).longValue();
                if (id < 0 || id > TokenType.BYTE.id) fail("token type " + id + " is not 0..6");
            }
        }
        for (String key : List.of(BOS_ID, EOS_ID, UNK_ID, PAD_ID, EOT_ID)) {
            if (meta.get(key) instanceof Number id && (id.longValue() < 0 || id.longValue() >= vocab)) {
                fail(key + " = " + id + " is outside the vocabulary of " + vocab + " tokens");
            }
        }
    }

    private static void fail(String problem) {
        throw new IllegalArgumentException("tokenizer metadata: " + problem);
    }
}
