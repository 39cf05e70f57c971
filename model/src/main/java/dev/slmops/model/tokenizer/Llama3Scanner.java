package dev.slmops.model.tokenizer;

/**
 * Hand-written matcher of the Llama-3 / Qwen2 split regex ({@link PreTokenizerPatterns#LLAMA3},
 * {@link PreTokenizerPatterns#QWEN2}); {@code maxDigits} is 3 for Llama-3 ({@code \p{N}{1,3}}) and 1 for
 * Qwen ({@code \p{N}}):
 * <pre>
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)       contractions, any case
 * |[^\r\n\p{L}\p{N}]?\p{L}+          a word, with one leading non-letter (space, punctuation) attached
 * |\p{N}{1,maxDigits}                digits
 * | ?[^\s\p{L}\p{N}]+[\r\n]*         punctuation run, optional leading space, trailing newlines
 * |\s*[\r\n]+                        whitespace up to and including the last newline of the run
 * |\s+(?!\S)                         whitespace, leaving the last one to prefix the next word
 * |\s+
 * </pre>
 * Alternatives are tried in order at each position, as a backtracking engine does.
 * {@code foldLongS}: Oniguruma (Hugging Face) case-folds U+017F 'ſ' to 's', so "'ſ" is a contraction;
 * llama.cpp lower-cases instead, so it is not ({@code '[sS]}).
 */
final class Llama3Scanner implements PreTokenizer {
    private final int maxDigits;
    private final boolean foldLongS;

    Llama3Scanner(int maxDigits, boolean foldLongS) {
        this.maxDigits = maxDigits;
        this.foldLongS = foldLongS;
    }

    @Override
    public void split(String s, int from, int to, IntList ends) {
        int i = from;
        while (i < to) {
            i = matchAt(s, i, to);
            ends.add(i);
        }
    }

    private int matchAt(String s, int i, int to) {
        int c = s.codePointAt(i);
        int n1 = i + Character.charCount(c);
        if (c == '\'' && n1 < to) {
            int k = contraction(s, n1, to);
            if (k > 0) return n1 + k;
        }
        byte cls = CharClass.of(c);
        if (cls == CharClass.LETTER) return Gpt2Scanner.endOfRun(s, n1, to, CharClass.LETTER);
        if (cls == CharClass.NUMBER) {
            int e = n1;
            for (int k = 1; k < maxDigits && e < to; k++) {
                int d = s.codePointAt(e);
                if (CharClass.of(d) != CharClass.NUMBER) break;
                e += Character.charCount(d);
            }
            return e;
        }
        // here c is whitespace or other; look at the next code point once
        int d = n1 < to ? s.codePointAt(n1) : -1;
        byte dc = d < 0 ? -1 : CharClass.of(d);
        if (dc == CharClass.LETTER && c != '\r' && c != '\n') {
            return Gpt2Scanner.endOfRun(s, n1 + Character.charCount(d), to, CharClass.LETTER);
        }
        int punctStart = -1;
        if (cls == CharClass.OTHER) punctStart = n1;
        else if (c == ' ' && dc == CharClass.OTHER) punctStart = n1 + Character.charCount(d);
        if (punctStart >= 0) {
            int e = Gpt2Scanner.endOfRun(s, punctStart, to, CharClass.OTHER);
            while (e < to && (s.charAt(e) == '\r' || s.charAt(e) == '\n')) e++;
            return e;
        }
        // whitespace run [i, j); all White_Space characters are in the BMP
        int lastNewline = (c == '\r' || c == '\n') ? i : -1;
        int j = n1;
        while (j < to) {
            char w = s.charAt(j);
            if (!CharClass.isWhiteSpace(w)) break;
            if (w == '\r' || w == '\n') lastNewline = j;
            j++;
        }
        if (lastNewline >= 0) return lastNewline + 1;
        if (j == to || j - i == 1) return j;
        return j - 1;
    }

    /** Length after the apostrophe of 's 't 're 've 'm 'll 'd in any case, or 0. */
    private int contraction(String s, int p, int to) {
        char a = Character.toLowerCase(s.charAt(p));
        if (a == 's' || a == 't' || a == 'm' || a == 'd' || (a == 'ſ' && foldLongS)) return 1;
        if (p + 1 < to) {
            char b = Character.toLowerCase(s.charAt(p + 1));
            if ((a == 'r' || a == 'v') && b == 'e') return 2;
            if (a == 'l' && b == 'l') return 2;
        }
        return 0;
    }
}
