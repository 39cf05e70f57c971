package dev.slmops.model.tokenizer;

import java.util.Map;
import java.util.OptionalInt;

/**
 * Text to token ids and back, exactly as the model's reference tokenizer does it (Hugging Face's Rust
 * tokenizers for {@code tokenizer.json}, llama.cpp for GGUF metadata).
 *
 * <p>Instances are immutable and safe to share between threads. Make one with {@link Tokenizers}.
 */
public interface Tokenizer {

    /** Encodes with the model's own rules for special tokens (BOS/EOS as the model files declare). */
    default int[] encode(String text) {
        return encode(text, true);
    }

    /**
     * Encodes {@code text}. Added and special tokens written in the text (e.g. {@code "<|im_start|>"}) are
     * always recognised, as Hugging Face does; {@code addSpecial} only decides whether the model's BOS/EOS
     * wrapping (post-processor, add_bos_token/add_eos_token) is applied.
     */
    int[] encode(String text, boolean addSpecial);

    /** Decodes ids to text, special tokens included. */
    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /** Decodes ids to text; bytes split across tokens are joined; invalid UTF-8 becomes U+FFFD. */
    String decode(int[] ids, boolean skipSpecial);

    /** A decoder fed one id at a time that only ever returns complete characters (skips special tokens). */
    default StreamingDecoder streamingDecoder() {
        return streamingDecoder(true);
    }

    /** A decoder fed one id at a time that only ever returns complete characters. */
    StreamingDecoder streamingDecoder(boolean skipSpecial);

    /**
     * The bytes {@code id} adds to decoded text (a special token's literal text; byte-fallback tokens their one
     * byte). Constrained decoding walks these. The default decodes and may lose a token's partial UTF-8.
     */
    default byte[] tokenBytes(int id) {
        return decode(new int[]{id}, false).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Whether {@code decode(ids, true)} drops {@code id} (special, control and unknown tokens). */
    default boolean isSpecial(int id) {
        return decode(new int[]{id}, true).isEmpty() && !decode(new int[]{id}, false).isEmpty();
    }

    /** Number of ids: the largest id plus one. */
    int vocabSize();

    /** The vocabulary entry of {@code id} as the model files write it (byte-level or ▁ form). */
    String token(int id);

    /** The id of a vocabulary entry written as the model files write it. */
    OptionalInt tokenId(String token);

    /** BOS, EOS (possibly several), PAD and UNK. */
    SpecialTokens specials();

    /** {@code "bpe-bytelevel"} (GPT-2 style byte-level BPE) or {@code "spm"} (SentencePiece-style BPE). */
    String kind();

    /**
     * The {@code tokenizer.ggml.*} keys llama.cpp reads for this tokenizer, values as plain Java (Long,
     * Float, Boolean, String, List), so that a GGUF file carrying them tokenizes identically in llama.cpp.
     */
    Map<String, Object> toGgufMetadata();
}
