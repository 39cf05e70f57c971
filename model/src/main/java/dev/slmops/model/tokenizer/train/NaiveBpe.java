package dev.slmops.model.tokenizer.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference merge learner, written for clarity: before every merge it recounts every adjacent pair of
 * every word, picks the most frequent (ties: left token's bytes, then right token's, lexicographically,
 * unsigned), and rewrites all words left to right. Tokens are ISO-8859-1 strings, one char per byte, so
 * String order is unsigned byte order. O(merges x corpus); the test oracle for {@link IncrementalBpe}.
 */
final class NaiveBpe {
    private NaiveBpe() {
    }

    private record Pair(String left, String right) {
    }

    static LearnedMerges learn(WordCounter.Words input, int maxNewTokens, long minFrequency) {
        long minCount = Math.max(1, minFrequency);
        List<List<String>> words = new ArrayList<>();
        for (int[] s : input.symbols()) {
            List<String> w = new ArrayList<>();
            for (int b : s) w.add(String.valueOf((char) b));
            words.add(w);
        }
        List<String> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf((char) b));
            ids.put(tokens.get(b), b);
        }
        List<int[]> merges = new ArrayList<>();
        List<Long> frequency = new ArrayList<>();
        int newTokens = 0;
        boolean exhausted = false;
        while (newTokens < maxNewTokens) {
            Map<Pair, Long> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> t = words.get(w);
                for (int i = 0; i + 1 < t.size(); i++) {
                    pairCounts.merge(new Pair(t.get(i), t.get(i + 1)), input.counts()[w], Long::sum);
                }
            }
            Pair best = null;
            long bestCount = 0;
            for (Map.Entry<Pair, Long> e : pairCounts.entrySet()) {
                long c = e.getValue();
                Pair p = e.getKey();
                if (best == null || c > bestCount || (c == bestCount && before(p, best))) {
                    best = p;
                    bestCount = c;
                }
            }
            if (best == null || bestCount < minCount) {
                exhausted = true;
                break;
            }
            String joined = best.left + best.right;
            Integer z = ids.get(joined);
            if (z == null) {
                z = tokens.size();
                tokens.add(joined);
                ids.put(joined, z);
                newTokens++;
            }
            merges.add(new int[]{ids.get(best.left), ids.get(best.right), z});
            frequency.add(bestCount);
            for (List<String> t : words) {
                List<String> merged = new ArrayList<>(t.size());
                for (int i = 0; i < t.size(); i++) {
                    if (i + 1 < t.size() && t.get(i).equals(best.left) && t.get(i + 1).equals(best.right)) {
                        merged.add(joined);
                        i++;
                    } else {
                        merged.add(t.get(i));
                    }
                }
                t.clear();
                t.addAll(merged);
            }
        }
        List<byte[]> tokenBytes = tokens.stream().map(s -> s.getBytes(StandardCharsets.ISO_8859_1)).toList();
        return new LearnedMerges(tokenBytes, merges.stream().mapToInt(m -> m[0]).toArray(),
                merges.stream().mapToInt(m -> m[1]).toArray(), merges.stream().mapToInt(m -> m[2]).toArray(),
                frequency.stream().mapToLong(Long::longValue).toArray(), exhausted);
    }

    private static boolean before(Pair p, Pair q) {
        int c = p.left.compareTo(q.left);
        return c != 0 ? c < 0 : p.right.compareTo(q.right) < 0;
    }
}
