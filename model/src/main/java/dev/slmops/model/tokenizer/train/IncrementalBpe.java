package dev.slmops.model.tokenizer.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The fast merge learner. Same result as {@link NaiveBpe}, without recounting every pair per merge:
 * <ul>
 *   <li>{@code pairCount}: pair -> occurrences in the corpus (sum over words of positions x word count);</li>
 *   <li>{@code wordsOf}: pair -> the words it occurs in (append-only; entries may be stale, a word with no
 *       occurrence left is skipped when visited);</li>
 *   <li>a max-priority queue of (count, pair) with lazy deletion: entries are never removed when a count
 *       drops; a popped entry whose count is out of date is pushed back with the current count.</li>
 * </ul>
 * Merging (a, b) -> z only visits the words that contain (a, b). Pairs made only of older tokens can only
 * lose occurrences, so every entry's count stays at or above its pair's true count and the first popped
 * entry that is up to date is the true maximum. Pairs that involve z gain occurrences; they are pushed
 * fresh after the step.
 *
 * <p>Order: highest count first; ties go to the pair whose left token's bytes are lexicographically smallest
 * (unsigned), then the right token's.
 */
final class IncrementalBpe {
    private final int[][] words;
    private final int[] lengths;
    private final long[] counts;
    private final long minFrequency;

    /** id -> bytes */
    private final List<byte[]> tokens = new ArrayList<>();
    /** bytes (one ISO-8859-1 char per byte) -> id */
    private final HashMap<String, Integer> ids = new HashMap<>();

    private final LongLongMap pairCount;
    /** pair -> 1 + index into wordsOfPair / lastStep */
    private final LongLongMap pairSlot;
    private final List<IntList> wordsOfPair = new ArrayList<>();
    private int[] lastStep = new int[1024];

    private final PriorityQueue<Candidate> queue;

    /** A queue entry: the pair's count when pushed. */
    private record Candidate(long count, long pair) {
    }

    private IncrementalBpe(WordCounter.Words input, long minFrequency) {
        this.words = input.symbols();
        this.counts = input.counts();
        this.lengths = new int[words.length];
        for (int w = 0; w < words.length; w++) lengths[w] = words[w].length;
        this.minFrequency = Math.max(1, minFrequency);
        for (int b = 0; b < 256; b++) {
            tokens.add(new byte[]{(byte) b});
            ids.put(String.valueOf((char) b), b);
        }
        pairCount = new LongLongMap(1 << 16);
        pairSlot = new LongLongMap(1 << 16);
        Comparator<Candidate> order = (x, y) -> {
            int c = Long.compare(y.count, x.count);
            if (c != 0) return c;
            c = Arrays.compareUnsigned(tokens.get(LongLongMap.left(x.pair)), tokens.get(LongLongMap.left(y.pair)));
            if (c != 0) return c;
            return Arrays.compareUnsigned(tokens.get(LongLongMap.right(x.pair)), tokens.get(LongLongMap.right(y.pair)));
        };
        queue = new PriorityQueue<>(order);
    }

    /**
     * Learns merges until {@code maxNewTokens} new tokens exist or no pair occurs {@code minFrequency} times.
     * Merges symbols of {@code input} in place.
     */
    static LearnedMerges learn(WordCounter.Words input, int maxNewTokens, long minFrequency) {
        return new IncrementalBpe(input, minFrequency).run(maxNewTokens);
    }

    private LearnedMerges run(int maxNewTokens) {
        for (int w = 0; w < words.length; w++) {
            int[] s = words[w];
            for (int i = 0; i + 1 < s.length; i++) {
                long p = LongLongMap.pair(s[i], s[i + 1]);
                pairCount.add(p, counts[w]);
                noteWord(p, w);
            }
        }
        List<Candidate> initial = new ArrayList<>(pairCount.size());
        pairCount.forEach((p, c) -> {
            if (c >= minFrequency) initial.add(new Candidate(c, p));
        });
        queue.addAll(initial);

        IntList left = new IntList(1024), right = new IntList(1024), result = new IntList(1024);
        List<Long> frequency = new ArrayList<>();
        int newTokens = 0;
        int step = 0;
        boolean exhausted = false;
        while (newTokens < maxNewTokens) {
            Candidate top = queue.poll();
            if (top == null || top.count < minFrequency) {
                exhausted = true;
                break;
            }
            long current = pairCount.get(top.pair);
            if (current != top.count) {
                if (current >= minFrequency) queue.add(new Candidate(current, top.pair));
                continue;
            }
            int a = LongLongMap.left(top.pair), b = LongLongMap.right(top.pair);
            byte[] joined = concat(tokens.get(a), tokens.get(b));
            String key = new String(joined, StandardCharsets.ISO_8859_1);
            Integer existing = ids.get(key);
            int z;
            if (existing != null) {
                z = existing;
            } else {
                z = tokens.size();
                tokens.add(joined);
                ids.put(key, z);
                newTokens++;
            }
            left.add(a);
            right.add(b);
            result.add(z);
            frequency.add(current);
            apply(a, b, z, ++step);
        }
        return new LearnedMerges(List.copyOf(tokens), toArray(left), toArray(right), toArray(result),
                frequency.stream().mapToLong(Long::longValue).toArray(), exhausted);
    }

    /** Replaces every (a, b) by z in the words that contain it and updates counts, index and queue. */
    private void apply(int a, int b, int z, int step) {
        long merged = LongLongMap.pair(a, b);
        int slot = (int) pairSlot.get(merged) - 1;
        IntList candidates = wordsOfPair.get(slot);
        wordsOfPair.set(slot, new IntList(1)); // a later merge that re-creates (a, b) starts a fresh list
        long[] touched = new long[16];
        int touchedCount = 0;
        for (int k = 0; k < candidates.size(); k++) {
            int w = candidates.get(k);
            int[] s = words[w];
            int n = lengths[w];
            if (!contains(s, n, a, b)) continue;
            long c = counts[w];
            for (int i = 0; i + 1 < n; i++) pairCount.add(LongLongMap.pair(s[i], s[i + 1]), -c);
            n = mergeInPlace(s, n, a, b, z);
            lengths[w] = n;
            for (int i = 0; i + 1 < n; i++) {
                long p = LongLongMap.pair(s[i], s[i + 1]);
                pairCount.add(p, c);
                if (s[i] == z || s[i + 1] == z) {
                    int ps = noteWord(p, w);
                    if (lastStep[ps] != step) {
                        lastStep[ps] = step;
                        if (touchedCount == touched.length) touched = Arrays.copyOf(touched, touchedCount * 2);
                        touched[touchedCount++] = p;
                    }
                }
            }
        }
        if (pairCount.get(merged) != 0) {
            throw new IllegalStateException("internal error: pair (" + a + ", " + b + ") still counted "
                    + pairCount.get(merged) + " times after its merge");
        }
        for (int t = 0; t < touchedCount; t++) {
            long c = pairCount.get(touched[t]);
            if (c >= minFrequency) queue.add(new Candidate(c, touched[t]));
        }
    }

    /** Records that pair p occurs in word w; returns the pair's slot. */
    private int noteWord(long p, int w) {
        int slot = (int) pairSlot.get(p) - 1;
        if (slot < 0) {
            slot = wordsOfPair.size();
            wordsOfPair.add(new IntList(2));
            pairSlot.add(p, slot + 1);
            if (slot == lastStep.length) lastStep = Arrays.copyOf(lastStep, slot * 2);
        }
        IntList list = wordsOfPair.get(slot);
        if (list.last() != w) list.add(w);
        return slot;
    }

    private static boolean contains(int[] s, int n, int a, int b) {
        for (int i = 0; i + 1 < n; i++) if (s[i] == a && s[i + 1] == b) return true;
        return false;
    }

    /** Left to right, non-overlapping: (a, a) on "a a a" gives "z a". Returns the new length. */
    static int mergeInPlace(int[] s, int n, int a, int b, int z) {
        int out = 0;
        int i = 0;
        while (i < n) {
            if (i + 1 < n && s[i] == a && s[i + 1] == b) {
                s[out++] = z;
                i += 2;
            } else {
                s[out++] = s[i++];
            }
        }
        return out;
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] r = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, r, x.length, y.length);
        return r;
    }

    private static int[] toArray(IntList l) {
        int[] r = new int[l.size()];
        for (int i = 0; i < r.length; i++) r[i] = l.get(i);
        return r;
    }
}
