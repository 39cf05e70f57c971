package dev.slmops.model.tokenizer.train;

import java.util.Arrays;

/**
 * Open-addressing hash map from non-negative long keys to long values (missing keys read as 0), with
 * linear probing; no boxing. Keys here are token pairs packed as {@code (left << 32) | right}.
 */
final class LongLongMap {
    private static final long EMPTY = -1L;

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    LongLongMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    static int left(long pair) {
        return (int) (pair >>> 32);
    }

    static int right(long pair) {
        return (int) pair;
    }

    int size() {
        return size;
    }

    long get(long key) {
        int i = slot(key);
        return keys[i] == key ? values[i] : 0L;
    }

    /** Adds {@code delta} to the value of {@code key} (inserting it at 0 first) and returns the new value. */
    long add(long key, long delta) {
        int i = slot(key);
        if (keys[i] != key) {
            keys[i] = key;
            values[i] = delta;
            if (++size * 2 > keys.length) grow();
            return delta;
        }
        return values[i] += delta;
    }

    /** Calls {@code visitor} for every key with its value, in table order. */
    void forEach(Visitor visitor) {
        for (int i = 0; i < keys.length; i++) if (keys[i] != EMPTY) visitor.visit(keys[i], values[i]);
    }

    interface Visitor {
        void visit(long key, long value);
    }

    private int slot(long key) {
        int i = (int) (mix(key) & mask);
        while (keys[i] != EMPTY && keys[i] != key) i = (i + 1) & mask;
        return i;
    }

    private static long mix(long k) {
        k *= 0x9E3779B97F4A7C15L;
        return k ^ (k >>> 29);
    }

    private void grow() {
        long[] oldKeys = keys, oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] == EMPTY) continue;
            int i = slot(oldKeys[j]);
            keys[i] = oldKeys[j];
            values[i] = oldValues[j];
        }
    }
}
