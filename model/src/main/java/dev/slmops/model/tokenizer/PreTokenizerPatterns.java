package dev.slmops.model.tokenizer;

/**
 * The split regexes of the model families, verbatim as they appear in tokenizer.json / llama.cpp, and
 * the hand-written scanner that implements each. {@link RegexPreTokenizer} runs the same strings through
 * java.util.regex as the naive reference the scanners are tested against.
 */
final class PreTokenizerPatterns {
    private PreTokenizerPatterns() {
    }

    /** GPT-2 (tokenizers' ByteLevel pre-tokenizer with use_regex=true; llama.cpp pre "gpt-2"). */
    static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Llama-3 (llama.cpp pre "llama-bpe"): numbers in groups of at most three digits. */
    static final String LLAMA3 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Qwen2/Qwen2.5/Qwen3 (llama.cpp pre "qwen2"): as Llama-3 but every digit alone. */
    static final String QWEN2 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** llama.cpp writes Llama-3's contractions without (?i:...); the same but for 'ſ (see {@link Llama3Scanner}). */
    static final String LLAMA3_LLAMACPP =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** llama.cpp's Qwen2 regex: as {@link #QWEN2} with llama.cpp's contraction classes. */
    static final String QWEN2_LLAMACPP =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The scanner for a known regex, or null when the regex is not one of the known families. */
    static PreTokenizer scannerFor(String regex) {
        return switch (regex) {
            case GPT2 -> new Gpt2Scanner();
            case LLAMA3 -> new Llama3Scanner(3, true);
            case LLAMA3_LLAMACPP -> new Llama3Scanner(3, false);
            case QWEN2 -> new Llama3Scanner(1, true);
            case QWEN2_LLAMACPP -> new Llama3Scanner(1, false);
            default -> null;
        };
    }
}
