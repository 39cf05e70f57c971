package dev.slmops.model.tokenizer;

/**
 * The BPE result of recently seen pieces, looked up by a char range of the text without making a
 * substring (allocating and hashing a String per piece was the largest cost of encoding).
 *
 * <p>Direct-mapped: each piece hashes to one slot, a new piece overwrites the old one, so the cache is
 * bounded at {@code 2^bits} entries with no eviction pass. Safe to share between threads without locks:
 * entries are immutable (final fields) and a racy read sees either null, an old entry or a new one,
 * each complete; a lost write only costs a recomputation.
 */
final class PieceCache {
    /** {@code key} as chars: comparing chars with a UTF-16 text is cheaper than String.regionMatches. */
    private record Entry(char[] key, int hash, int[] ids) {
    }

    private final Entry[] table;
    private final int mask;

    PieceCache(int bits) {
        table = new Entry[1 << bits];
        mask = (1 << bits) - 1;
    }

    /** String.hashCode of {@code s[from, to)}. */
    static int hash(String s, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) h = 31 * h + s.charAt(i);
        return h;
    }

    /** The cached ids of {@code s[from, to)} (whose {@link #hash} is {@code h}), or null. */
    int[] get(String s, int from, int to, int h) {
        Entry e = table[slot(h)];
        if (e == null || e.hash != h) return null;
        char[] k = e.key;
        if (k.length != to - from) return null;
        for (int i = 0; i < k.length; i++) if (k[i] != s.charAt(from + i)) return null;
        return e.ids;
    }

    void put(String key, int h, int[] ids) {
        table[slot(h)] = new Entry(key.toCharArray(), h, ids);
    }

    private int slot(int h) {
        return (h ^ (h >>> 15)) & mask;
    }
}
