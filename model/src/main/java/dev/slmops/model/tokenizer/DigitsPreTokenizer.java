package dev.slmops.model.tokenizer;

/**
 * tokenizers' {@code Digits} pre-tokenizer: isolates numbers ({@code \p{N}}, Rust's {@code char::is_numeric}),
 * each digit alone when {@code individual}, else runs of digits. Used by SmolLM2 before the GPT-2 regex;
 * llama.cpp's "smollm" pre-tokenizer does the same with the regex {@code \p{N}}.
 */
final class DigitsPreTokenizer implements PreTokenizer {
    private final boolean individual;

    DigitsPreTokenizer(boolean individual) {
        this.individual = individual;
    }

    @Override
    public void split(String s, int from, int to, IntList ends) {
        int i = from;
        while (i < to) {
            int c = s.codePointAt(i);
            boolean num = CharClass.of(c) == CharClass.NUMBER;
            int j = i + Character.charCount(c);
            if (!num || !individual) {
                while (j < to) {
                    int d = s.codePointAt(j);
                    if ((CharClass.of(d) == CharClass.NUMBER) != num) break;
                    j += Character.charCount(d);
                }
            }
            ends.add(j);
            i = j;
        }
    }
}
