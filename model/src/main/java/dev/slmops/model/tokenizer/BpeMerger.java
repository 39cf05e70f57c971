package dev.slmops.model.tokenizer;

/**
 * Applies BPE merges to one word, as tokenizers' {@code Word::merge_all} and llama.cpp's BPE session do:
 * repeatedly merge the adjacent pair of lowest rank, the leftmost one among equal ranks, until no adjacent
 * pair has a merge. Two paths give identical results: {@link #mergeNaive} rescans the word after every
 * merge (O(n^2), the reference, and fastest for the short words of byte-level BPE), {@link #mergeHeap}
 * keeps candidate pairs in a binary heap of {@code rank << 32 | position} (O(n log n), for long words such
 * as whole SentencePiece segments).
 */
final class BpeMerger {
    /** Words up to this many symbols take the naive path. */
    static final int NAIVE_MAX = 48;

    private BpeMerger() {
    }

    /** Merges {@code syms[0, n)} in place; returns the new symbol count. */
    static int merge(PairRanks merges, int[] syms, int n) {
        return n <= NAIVE_MAX ? mergeNaive(merges, syms, n) : mergeHeap(merges, syms, n);
    }

    static int mergeNaive(PairRanks merges, int[] syms, int n) {
        while (n > 1) {
            int bestRank = Integer.MAX_VALUE, bestPos = -1;
            for (int i = 0; i + 1 < n; i++) {
                int r = merges.rank(syms[i], syms[i + 1]);
                if (r >= 0 && r < bestRank) {
                    bestRank = r;
                    bestPos = i;
                }
            }
            if (bestPos < 0) break;
            syms[bestPos] = merges.merged(bestRank);
            System.arraycopy(syms, bestPos + 2, syms, bestPos + 1, n - bestPos - 2);
            n--;
        }
        return n;
    }

    static int mergeHeap(PairRanks merges, int[] syms, int n) {
        if (n < 2) return n;
        int[] next = new int[n], prev = new int[n];
        boolean[] alive = new boolean[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            alive[i] = true;
        }
        long[] heap = new long[n * 2 + 8];
        int size = 0;
        for (int i = 0; i + 1 < n; i++) {
            int r = merges.rank(syms[i], syms[i + 1]);
            if (r >= 0) {
                if (size == heap.length) heap = java.util.Arrays.copyOf(heap, size * 2);
                size = push(heap, size, ((long) r << 32) | i);
            }
        }
        while (size > 0) {
            long top = heap[0];
            size = pop(heap, size);
            int rank = (int) (top >>> 32), pos = (int) top;
            if (!alive[pos] || next[pos] < 0) continue;
            int right = next[pos];
            if (merges.rank(syms[pos], syms[right]) != rank) continue;   // stale entry
            syms[pos] = merges.merged(rank);
            alive[right] = false;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (heap.length < size + 2) heap = java.util.Arrays.copyOf(heap, heap.length * 2);
            int p = prev[pos];
            if (p >= 0) {
                int r = merges.rank(syms[p], syms[pos]);
                if (r >= 0) size = push(heap, size, ((long) r << 32) | p);
            }
            int q = next[pos];
            if (q >= 0) {
                int r = merges.rank(syms[pos], syms[q]);
                if (r >= 0) size = push(heap, size, ((long) r << 32) | pos);
            }
        }
        int m = 0;
        for (int i = 0; i >= 0; i = next[i]) syms[m++] = syms[i];
        return m;
    }

    private static int push(long[] heap, int size, long v) {
        int i = size++;
        heap[i] = v;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
        return size;
    }

    private static int pop(long[] heap, int size) {
        long last = heap[--size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= last) break;
            heap[i] = heap[child];
            i = child;
        }
        if (size > 0) heap[i] = last;
        return size;
    }
}
