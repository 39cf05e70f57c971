package dev.slmops.model.tokenizer.train;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The first half of training: documents -> distinct pre-tokenizer pieces ("words") with their counts.
 * Each document is cut around the special tokens written in it (they are never learned from), each stretch
 * is normalized to NFC and split by the Qwen2 regex exactly as Hugging Face's Split pre-tokenizer with
 * behaviour Isolated does (every match is a piece, and so is any gap between matches): by
 * {@link Qwen2Splitter}, or by java.util.regex itself when made with {@code useRegex} (the reference).
 */
final class WordCounter {
    /** The Qwen2 / Qwen2.5 / Qwen3 split regex, character for character as Qwen2's tokenizer.json declares it. */
    static final String QWEN2_SPLIT =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** UNICODE_CHARACTER_CLASS: {@code \s} is the White_Space property and {@code (?i)} Unicode-aware, as in Oniguruma. */
    private static final Pattern SPLIT = Pattern.compile(QWEN2_SPLIT, Pattern.UNICODE_CHARACTER_CLASS);

    /** A piece and how often it occurred; the array avoids re-boxing on every increment. */
    private final Map<String, long[]> counts = new HashMap<>();
    private final String[] specials;
    private long documents;
    private long chars;

    private final boolean useRegex;

    WordCounter(List<String> specialTokens) {
        this(specialTokens, false);
    }

    WordCounter(List<String> specialTokens, boolean useRegex) {
        this.useRegex = useRegex;
        // longest first, so that of two specials starting at the same place the longer one is cut out
        this.specials = specialTokens.stream()
                .sorted((x, y) -> y.length() != x.length() ? y.length() - x.length() : x.compareTo(y))
                .toArray(String[]::new);
    }

    void addDocument(String doc) {
        documents++;
        addChunk(doc);
    }

    /** Text that continues the current document (a file read in chunks); see {@link TextFileChunks}. */
    void addChunk(String doc) {
        chars += doc.length();
        int from = 0;
        while (from < doc.length()) {
            int at = doc.length();
            String hit = null;
            for (String s : specials) {
                int i = doc.indexOf(s, from);
                if (i >= 0 && i < at) {
                    at = i;
                    hit = s;
                }
            }
            addText(doc.substring(from, at));
            if (hit == null) break;
            from = at + hit.length();
        }
    }

    private void addText(String raw) {
        if (raw.isEmpty()) return;
        String text = Normalizer.normalize(raw, Normalizer.Form.NFC);
        if (!useRegex) {
            Qwen2Splitter.split(text, (t, start, end) -> count(t.substring(start, end)));
            return;
        }
        Matcher m = SPLIT.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (m.start() > last) count(text.substring(last, m.start()));
            count(text.substring(m.start(), m.end()));
            last = m.end();
        }
        if (last < text.length()) count(text.substring(last));
    }

    private void count(String piece) {
        counts.computeIfAbsent(piece, k -> new long[1])[0]++;
    }

    long documents() {
        return documents;
    }

    long chars() {
        return chars;
    }

    /** The distinct pieces as UTF-8 byte symbols (ids 0..255), sorted by piece so the order is reproducible. */
    Words finish() {
        String[] pieces = counts.keySet().toArray(String[]::new);
        Arrays.sort(pieces);
        int[][] symbols = new int[pieces.length][];
        long[] freq = new long[pieces.length];
        long total = 0;
        for (int w = 0; w < pieces.length; w++) {
            byte[] utf8 = pieces[w].getBytes(StandardCharsets.UTF_8);
            int[] s = new int[utf8.length];
            for (int i = 0; i < utf8.length; i++) s[i] = utf8[i] & 0xFF;
            symbols[w] = s;
            freq[w] = counts.get(pieces[w])[0];
            total += freq[w];
        }
        return new Words(symbols, freq, total);
    }

    /**
     * Distinct words: {@code symbols[w]} holds word w's token ids (initially its UTF-8 bytes),
     * {@code counts[w]} how often it occurred; {@code occurrences} is the sum of counts.
     */
    record Words(int[][] symbols, long[] counts, long occurrences) {
        /** A deep copy, since trainers merge symbols in place. */
        Words copy() {
            int[][] s = new int[symbols.length][];
            for (int i = 0; i < s.length; i++) s[i] = symbols[i].clone();
            return new Words(s, counts.clone(), occurrences);
        }
    }
}
