package dev.slmops.model.tokenizer;

import java.text.Normalizer;

/**
 * A tokenizer.json normalizer, applied to each stretch of text between added tokens.
 * Supported: NFC, NFD, NFKC, NFKD, Prepend, Replace (string pattern) and Sequence of those.
 */
interface TextNormalizer {
    String normalize(String s);

    static TextNormalizer unicode(Normalizer.Form form) {
        return s -> belowCombiningMarks(s) || Normalizer.isNormalized(s, form) ? s : Normalizer.normalize(s, form);
    }

    /**
     * True when every char is below U+00A0: such text is unchanged by NFC, NFD, NFKC and NFKD (no
     * decompositions, compatibility mappings or combining marks there), so the normalizer need not look.
     */
    private static boolean belowCombiningMarks(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) >= 0xA0) return false;
        return true;
    }

    /** tokenizers' Prepend: adds {@code prefix} to non-empty text. */
    static TextNormalizer prepend(String prefix) {
        return s -> s.isEmpty() ? s : prefix + s;
    }

    static TextNormalizer replace(String pattern, String content) {
        return s -> s.replace(pattern, content);
    }

    static TextNormalizer sequence(java.util.List<TextNormalizer> steps) {
        return s -> {
            for (TextNormalizer n : steps) s = n.normalize(s);
            return s;
        };
    }
}
