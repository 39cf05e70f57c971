package dev.slmops.model.generate.constrain;

import dev.slmops.model.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The byte strings of a tokenizer's vocabulary, sorted so that a walk over them is a walk over their trie: each
 * token shares {@code lcp[i]} leading bytes with the one before it, so the recognizer state of that prefix is
 * reused and a prefix found invalid skips every token that starts with it. Built once per tokenizer (about
 * 0.1-0.3 s for a 151k vocabulary) and shared by every constrained sequence; immutable and thread-safe.
 *
 * <p>Special tokens (those {@code decode(ids, true)} drops) take no part, except the end-of-generation ids, which
 * are allowed when the output is complete, and the specials a caller names (e.g. Phi-4-mini's
 * {@code <|tool_call|>}), which are walked with their literal text.
 */
public final class TokenVocabulary {
    private static final Map<Tokenizer, Map<Set<String>, TokenVocabulary>> CACHE = new WeakHashMap<>();

    final int vocabSize;
    final int[] order;      // [N] token ids in byte order
    final int[] offsets;    // [N + 1] into bytes
    final byte[] bytes;     // the tokens' bytes, concatenated in order
    final int[] lcp;        // [N] bytes shared with the previous token in order
    final int[] position;   // [V] index into order, or -1 for a token that takes no part
    final int[] eosIds;
    // Tokens of whole, safe string characters (valid UTF-8 without '"', '\\' or control bytes): inside a plain
    // JSON string each one is allowed as it is; only the others need the walk.
    final int[] plainIds;    // ids
    final int[] plainChars;  // [plainIds.length] characters (code points) in each
    final int[] otherOrder;  // the walk's fields restricted to the other tokens
    final int[] otherOffsets;
    final byte[] otherBytes;
    final int[] otherLcp;

    private TokenVocabulary(int vocabSize, byte[][] tokenBytes, int[] eosIds) {
        this.vocabSize = vocabSize;
        this.eosIds = eosIds.clone();
        Integer[] ids = new Integer[vocabSize];
        int n = 0;
        for (int id = 0; id < vocabSize; id++) if (tokenBytes[id] != null && tokenBytes[id].length > 0) ids[n++] = id;
        Integer[] sorted = Arrays.copyOf(ids, n);
        Arrays.sort(sorted, (a, b) -> {
            int c = Arrays.compareUnsigned(tokenBytes[a], tokenBytes[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        order = new int[n];
        offsets = new int[n + 1];
        lcp = new int[n];
        int total = 0;
        for (int i = 0; i < n; i++) total += tokenBytes[sorted[i]].length;
        bytes = new byte[total];
        int at = 0;
        for (int i = 0; i < n; i++) {
            byte[] t = tokenBytes[sorted[i]];
            order[i] = sorted[i];
            offsets[i] = at;
            System.arraycopy(t, 0, bytes, at, t.length);
            at += t.length;
            if (i > 0) {
                byte[] prev = tokenBytes[sorted[i - 1]];
                int m = Arrays.mismatch(prev, t);
                lcp[i] = m < 0 ? t.length : m;
            }
        }
        offsets[n] = at;
        int plain = 0;
        int[] chars = new int[n];
        for (int i = 0; i < n; i++) {
            chars[i] = safeStringChars(bytes, offsets[i], offsets[i + 1]);
            if (chars[i] >= 0) plain++;
        }
        plainIds = new int[plain];
        plainChars = new int[plain];
        otherOrder = new int[n - plain];
        otherOffsets = new int[n - plain + 1];
        otherLcp = new int[n - plain];
        int otherTotal = 0;
        for (int i = 0; i < n; i++) if (chars[i] < 0) otherTotal += offsets[i + 1] - offsets[i];
        otherBytes = new byte[otherTotal];
        int p = 0, o = 0, oat = 0;
        for (int i = 0; i < n; i++) {
            if (chars[i] >= 0) {
                plainIds[p] = order[i];
                plainChars[p++] = chars[i];
                continue;
            }
            int len = offsets[i + 1] - offsets[i];
            otherOrder[o] = order[i];
            otherOffsets[o] = oat;
            System.arraycopy(bytes, offsets[i], otherBytes, oat, len);
            if (o > 0) {
                int m = Arrays.mismatch(otherBytes, otherOffsets[o - 1], oat, otherBytes, oat, oat + len);
                otherLcp[o] = m < 0 ? len : m;
            }
            oat += len;
            o++;
        }
        otherOffsets[o] = oat;
        position = new int[vocabSize];
        Arrays.fill(position, -1);
        for (int i = 0; i < n; i++) position[order[i]] = i;
    }

    /** Code points in bytes[from..to) if they are whole UTF-8 characters allowed raw in a JSON string, else -1. */
    static int safeStringChars(byte[] b, int from, int to) {
        int count = 0;
        for (int i = from; i < to; ) {
            int c = b[i] & 0xFF;
            int len;
            if (c < 0x80) {
                if (c < 0x20 || c == '"' || c == '\\') return -1;
                len = 1;
            } else if (c >= 0xC2 && c <= 0xDF) len = 2;
            else if (c >= 0xE0 && c <= 0xEF) len = 3;
            else if (c >= 0xF0 && c <= 0xF4) len = 4;
            else return -1;
            if (i + len > to) return -1;
            int cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
            for (int k = 1; k < len; k++) {
                int cb = b[i + k] & 0xFF;
                if ((cb & 0xC0) != 0x80) return -1;
                cp = (cp << 6) | (cb & 0x3F);
            }
            int min = len == 4 ? 0x10000 : len == 3 ? 0x800 : len == 2 ? 0x80 : 0;
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
            i += len;
            count++;
        }
        return count;
    }

    /** The vocabulary of {@code tokenizer}, built once and cached for as long as the tokenizer lives. */
    public static TokenVocabulary of(Tokenizer tokenizer) {
        return withSpecials(tokenizer, Set.of());
    }

    /** A vocabulary in which the named special tokens are walked with their literal text too (also cached). */
    public static TokenVocabulary withSpecials(Tokenizer tokenizer, Set<String> allowedSpecials) {
        Set<String> key = Set.copyOf(allowedSpecials);
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(tokenizer, t -> new java.util.HashMap<>())
                    .computeIfAbsent(key, k -> build(tokenizer, k));
        }
    }

    private static TokenVocabulary build(Tokenizer t, Set<String> allowedSpecials) {
        int V = t.vocabSize();
        byte[][] b = new byte[V][];
        for (int id = 0; id < V; id++) {
            if (t.specials().isEos(id)) continue;
            if (t.isSpecial(id) && !allowedSpecials.contains(t.token(id))) continue;
            b[id] = t.tokenBytes(id);
        }
        return new TokenVocabulary(V, b, t.specials().eosIds());
    }

    /** For tests: a vocabulary of the given byte strings (index = id), null for ids that never appear. */
    static TokenVocabulary ofBytes(byte[][] tokenBytes, int[] eosIds) {
        return new TokenVocabulary(tokenBytes.length, tokenBytes, eosIds);
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The longest token, in bytes. */
    int maxTokenBytes() {
        int m = 0;
        for (int i = 0; i < order.length; i++) m = Math.max(m, offsets[i + 1] - offsets[i]);
        return m;
    }

    /** Tokens that take part in the walk (not special, not empty). */
    public int walkedTokens() {
        return order.length;
    }

    /** Bytes of token {@code id} as walked, or null when it takes no part. */
    byte[] bytesOf(int id) {
        int i = id < 0 || id >= vocabSize ? -1 : position[id];
        return i < 0 ? null : Arrays.copyOfRange(bytes, offsets[i], offsets[i + 1]);
    }

    boolean isEos(int id) {
        for (int e : eosIds) if (e == id) return true;
        return false;
    }
}
