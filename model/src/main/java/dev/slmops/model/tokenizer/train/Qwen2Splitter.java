package dev.slmops.model.tokenizer.train;

/**
 * A hand-written matcher of {@link WordCounter#QWEN2_SPLIT}, several times faster than java.util.regex on it.
 * At each position it takes the first alternative that matches, as a backtracking regex engine does:
 * <pre>
 * 1 (?i:'s|'t|'re|'ve|'m|'ll|'d)   contraction
 * 2 [^\r\n\p{L}\p{N}]?\p{L}+       letters, with one optional leading char that is not a newline, letter or digit
 * 3 \p{N}                          one digit (any Unicode number)
 * 4  ?[^\s\p{L}\p{N}]+[\r\n]*      symbols, optional leading space, trailing newlines
 * 5 \s*[\r\n]+                     whitespace up to and including the last newline of the run
 * 6 \s+(?!\S)                      whitespace but the last char, when a non-space follows
 * 7 \s+                            whitespace
 * </pre>
 * Classes are those of java.util.regex with UNICODE_CHARACTER_CLASS: {@code \p{L}} general categories L*,
 * {@code \p{N}} N*, {@code \s} Zs/Zl/Zp, U+0009..U+000D and U+0085. The regex itself stays the reference; the
 * tests compare the two on the corpus and on random strings.
 */
final class Qwen2Splitter {
    private static final byte OTHER = 0, LETTER = 1, NUMBER = 2, SPACE = 3;
    /** class of each BMP code point */
    private static final byte[] BMP = new byte[0x10000];

    static {
        for (int c = 0; c < 0x10000; c++) BMP[c] = classify(c);
    }

    private Qwen2Splitter() {
    }

    private static byte classify(int c) {
        int type = Character.getType(c);
        if ((c >= 0x09 && c <= 0x0D) || c == 0x85 || type == Character.SPACE_SEPARATOR
                || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) return SPACE;
        return switch (type) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    private static byte classOf(int cp) {
        return cp < 0x10000 ? BMP[cp] : classify(cp);
    }

    /** Receives each piece as a [start, end) range of the text. */
    interface PieceSink {
        void piece(String text, int start, int end);
    }

    /** Splits {@code text} into pieces that tile it. */
    static void split(String text, PieceSink sink) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            int end = matchAt(text, i, n);
            sink.piece(text, i, end);
            i = end;
        }
    }

    /** End of the piece starting at {@code i} (always > i). */
    static int matchAt(String s, int i, int n) {
        int c = s.codePointAt(i);
        int afterC = i + Character.charCount(c);
        byte cls = classOf(c);
        // 1: contraction
        if (c == '\'' && afterC < n) {
            int len = contraction(s, afterC, n);
            if (len > 0) return afterC + len;
        }
        // 2: letters (c itself a letter, or one prefix char that is not \r \n letter digit)
        if (cls == LETTER) return letterRunEnd(s, afterC, n);
        int next = afterC < n ? s.codePointAt(afterC) : -1;
        byte nextCls = next < 0 ? -1 : classOf(next);
        if (cls != NUMBER && c != '\r' && c != '\n' && nextCls == LETTER) {
            return letterRunEnd(s, afterC + Character.charCount(next), n);
        }
        // 3: one number
        if (cls == NUMBER) return afterC;
        // 4: symbols with an optional leading space, then newlines
        int symbolsFrom = -1;
        if (cls == OTHER) symbolsFrom = afterC;
        else if (c == ' ' && nextCls == OTHER) symbolsFrom = afterC + Character.charCount(next);
        if (symbolsFrom >= 0) {
            int e = symbolsFrom;
            while (e < n) {
                int d = s.codePointAt(e);
                if (classOf(d) != OTHER) break;
                e += Character.charCount(d);
            }
            while (e < n && (s.charAt(e) == '\r' || s.charAt(e) == '\n')) e++;
            return e;
        }
        // here c is whitespace: find the run [i, j) and its last newline (all \s chars are in the BMP)
        int j = afterC;
        int lastNewline = (c == '\r' || c == '\n') ? i : -1;
        while (j < n && BMP[s.charAt(j)] == SPACE) {
            if (s.charAt(j) == '\r' || s.charAt(j) == '\n') lastNewline = j;
            j++;
        }
        // 5
        if (lastNewline >= 0) return lastNewline + 1;
        // 6: at the end of the text (?!\S) holds; otherwise give back one char, if that leaves one
        if (j == n) return j;
        if (j - i >= 2) return j - 1;
        // 7
        return j;
    }

    private static int letterRunEnd(String s, int e, int n) {
        while (e < n) {
            int d = s.codePointAt(e);
            if (classOf(d) != LETTER) break;
            e += Character.charCount(d);
        }
        return e;
    }

    /** Chars after the apostrophe of s t m d / re ve ll (any case), or 0. */
    private static int contraction(String s, int p, int n) {
        char a = s.charAt(p);
        if (same(a, 's') || same(a, 't') || same(a, 'm') || same(a, 'd')) return 1;
        if (p + 1 < n) {
            char b = s.charAt(p + 1);
            if ((same(a, 'r') || same(a, 'v')) && same(b, 'e')) return 2;
            if (same(a, 'l') && same(b, 'l')) return 2;
        }
        return 0;
    }

    /** Case-insensitive as java.util.regex's (?i) with Unicode case: 'ſ' matches 's', 'K' (Kelvin) 'k'. */
    private static boolean same(char c, char lowerAscii) {
        return c == lowerAscii || Character.toLowerCase(c) == lowerAscii
                || Character.toUpperCase(c) == Character.toUpperCase(lowerAscii);
    }
}
