/**
 * Tokenizers, pure Java, giving the same ids as Hugging Face's Rust tokenizers (for tokenizer.json) and
 * llama.cpp (for GGUF metadata).
 *
 * <p>Entry points: {@link dev.slmops.model.tokenizer.Tokenizers#fromHfDir},
 * {@link dev.slmops.model.tokenizer.Tokenizers#fromHfFiles},
 * {@link dev.slmops.model.tokenizer.Tokenizers#fromGgufMetadata}; the result is a
 * {@link dev.slmops.model.tokenizer.Tokenizer} (encode, decode, streaming decode, vocabulary, specials,
 * {@code toGgufMetadata()} for the HF to GGUF converter).
 *
 * <p>Two algorithms: {@code BpeTokenizer} (merges by rank: byte-level GPT-2/Llama-3/Qwen2/SmolLM2, and
 * SentencePiece-style with byte fallback from tokenizer.json) and {@code SpmTokenizer} (llama.cpp's
 * merge-by-score for GGUF "llama" vocabularies). Pre-tokenizer regexes are hand-written scanners
 * ({@code Gpt2Scanner}, {@code Llama3Scanner}, {@code DigitsPreTokenizer}), each tested equal to the regex run
 * by java.util.regex ({@code RegexPreTokenizer}, also the fallback for unknown regexes); BPE merges have a
 * naive and a heap path ({@code BpeMerger}); results are cached per piece ({@code PieceCache}).
 *
 * <p>Known, deliberate differences: the GGUF path (like llama.cpp) applies no NFC normalizer, does not fold
 * 'ſ' in contractions, and treats llama.cpp's "control-looking" tokens (e.g. a plain "&lt;/s&gt;" entry) as
 * control tokens; Hugging Face does the opposite on all three.
 */
package dev.slmops.model.tokenizer;
