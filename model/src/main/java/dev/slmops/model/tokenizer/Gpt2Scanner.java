package dev.slmops.model.tokenizer;

/**
 * Hand-written matcher of GPT-2's split regex ({@link PreTokenizerPatterns#GPT2}):
 * <pre>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</pre>
 * Alternatives are tried in order at each position, as a backtracking engine does; every character is
 * covered by some alternative, so the matches tile the text.
 */
final class Gpt2Scanner implements PreTokenizer {

    @Override
    public void split(String s, int from, int to, IntList ends) {
        int i = from;
        while (i < to) {
            i = matchAt(s, i, to);
            ends.add(i);
        }
    }

    private static int matchAt(String s, int i, int to) {
        int c = s.codePointAt(i);
        int n1 = i + Character.charCount(c);
        if (c == '\'' && n1 < to) {
            int k = contraction(s, n1, to);
            if (k > 0) return n1 + k;
        }
        byte cls = CharClass.of(c);
        int runStart = n1;
        if (c == ' ' && n1 < to) {                          // " ?X+" with the optional space taken
            int d = s.codePointAt(n1);
            byte dc = CharClass.of(d);
            if (dc != CharClass.SPACE) {
                cls = dc;
                runStart = n1 + Character.charCount(d);
            }
        }
        if (cls != CharClass.SPACE) return endOfRun(s, runStart, to, cls); // \p{L}+ | \p{N}+ | [^\s\p{L}\p{N}]+
        int j = n1;                                         // whitespace: \s+(?!\S) | \s+
        while (j < to && CharClass.isWhiteSpace(s.charAt(j))) j++;
        if (j == to || j - i == 1) return j;
        return j - 1;                                       // leave the last space to prefix the next word
    }

    /** Length after the apostrophe of 's 't 're 've 'm 'll 'd (case-sensitive), or 0. */
    private static int contraction(String s, int p, int to) {
        char a = s.charAt(p);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return 1;
        if (p + 1 < to) {
            char b = s.charAt(p + 1);
            if ((a == 'r' || a == 'v') && b == 'e') return 2;
            if (a == 'l' && b == 'l') return 2;
        }
        return 0;
    }

    static int endOfRun(String s, int p, int to, byte cls) {
        while (p < to) {
            int d = s.codePointAt(p);
            if (CharClass.of(d) != cls) break;
            p += Character.charCount(d);
        }
        return p;
    }
}
