package dev.slmops.model.tokenizer;

import java.text.Normalizer;

/**
 * A tokenizer.json normalizer, applied to each stretch of text between added tokens.
 * Supported: NFC, NFD, NFKC, NFKD, Prepend, Replace (string pattern) and Sequence of those.
 */
interface TextNormalizer {
    String normalize(String s);

    static TextNormalizer unicode(Normalizer.Form form) {
        return s -> Normalizer.isNormalized(s, form) ? s : Normalizer.normalize(s, form);
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
