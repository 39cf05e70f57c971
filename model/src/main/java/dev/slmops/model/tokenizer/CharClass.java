package dev.slmops.model.tokenizer;

/**
 * The three Unicode classes the pre-tokenizer regexes ask about, per code point, as Oniguruma (Hugging Face)
 * and llama.cpp define them: {@code \p{L}} (general categories Lu Ll Lt Lm Lo), {@code \p{N}} (Nd Nl No)
 * and {@code \s} (the White_Space property). Everything else is {@link #OTHER}.
 * A 64 KiB table answers the BMP; code points above it ask {@link Character}.
 */
final class CharClass {
    static final byte OTHER = 0, LETTER = 1, NUMBER = 2, SPACE = 3;

    private static final byte[] BMP = new byte[0x10000];

    static {
        for (int c = 0; c < 0x10000; c++) BMP[c] = compute(c);
    }

    private CharClass() {
    }

    static byte of(int cp) {
        return cp < 0x10000 ? BMP[cp] : compute(cp);
    }

    /** White_Space: what {@code \s} matches in Oniguruma and {@code char::is_whitespace} in Rust. */
    static boolean isWhiteSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    private static byte compute(int c) {
        if (isWhiteSpace(c)) return SPACE;
        return switch (Character.getType(c)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }
}
