package dev.slmops.model.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge table: (left id, right id) -> merge rank (0 = learned first = applied first) and the id
 * of the merged token. Open addressing over a long key {@code left << 32 | right}, no boxing.
 */
final class PairRanks {
    private static final long EMPTY = -1L;
    private final long[] keys;
    private final int[] ranks;
    private final int mask;
    /** rank -> id of the token the merge produces. */
    private final int[] mergedId;
    private int count;

    PairRanks(int capacity) {
        int n = Integer.highestOneBit(Math.max(16, capacity * 2 - 1)) << 1;
        keys = new long[n];
        Arrays.fill(keys, EMPTY);
        ranks = new int[n];
        mask = n - 1;
        mergedId = new int[Math.max(1, capacity)];
    }

    /** Adds the next merge (ranks are given in order); a repeated pair keeps its first rank. */
    void add(int left, int right, int merged) {
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) return;
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        ranks[slot] = count;
        mergedId[count++] = merged;
    }

    int size() {
        return count;
    }

    /** The rank of merging {@code left right}, or -1 when there is no such merge. */
    int rank(int left, int right) {
        long key = key(left, right);
        int slot = slot(key);
        while (true) {
            long k = keys[slot];
            if (k == key) return ranks[slot];
            if (k == EMPTY) return -1;
            slot = (slot + 1) & mask;
        }
    }

    int merged(int rank) {
        return mergedId[rank];
    }

    /** Every merge as {left, right}, in rank order. */
    int[][] pairsInRankOrder() {
        int[][] out = new int[count][];
        for (int s = 0; s < keys.length; s++) {
            if (keys[s] != EMPTY) out[ranks[s]] = new int[]{(int) (keys[s] >>> 32), (int) keys[s]};
        }
        return out;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }
}
