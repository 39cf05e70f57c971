package dev.slmops.model.tokenizer.train;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Trains a byte-level BPE vocabulary (GPT-2 / Qwen2 style) from documents:
 * <ol>
 *   <li>pre-tokenize: cut out special tokens, NFC, split with the Qwen2 regex ({@link WordCounter});</li>
 *   <li>start from the 256 single bytes and repeatedly merge the most frequent adjacent pair, ties to the
 *       lexicographically smallest pair of byte strings ({@link IncrementalBpe}; {@link NaiveBpe} is the
 *       slow reference);</li>
 *   <li>when the corpus could not support enough merges, fill the vocabulary to exactly {@code targetVocab}
 *       ids: up to {@code reservedSpecialLimit} (default 256) {@code <|reserved_N|>} added special tokens after
 *       the specials, as Llama 3 has, free to be given a use later; the rest as {@code <|unused_N|>} plain
 *       vocabulary entries that no merge produces, because Hugging Face tokenizers loads hundreds of
 *       thousands of added tokens very slowly (minutes; tokenizers issue #1635).</li>
 * </ol>
 * Id layout: see {@link TrainedBpe}. Training is deterministic: the same documents and
 * options give the same files, byte for byte.
 */
public final class BpeTrainer {
    private BpeTrainer() {
    }

    /** Special tokens of the default (Qwen2 / ChatML convention). */
    public static final List<String> CHATML_SPECIAL_TOKENS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    /**
     * @param targetVocab    exact vocabulary size: 256 bytes + learned tokens + fillers + special tokens
     * @param minFrequency   a pair is merged only if it occurs at least this often (>= 1)
     * @param specialTokens  added special tokens, in id order, placed right after the learned tokens; they are
     *                       cut out of the training text and never split when encoding
     * @param reservedSpecialLimit how many fillers at most are {@code <|reserved_N|>} added special tokens; the
     *                       rest are {@code <|unused_N|>} plain vocabulary entries that encoding never produces
     * @param bosToken       tokenizer_config.json's bos_token (one of specialTokens) or null (Qwen2 has none)
     * @param eosToken       eos_token (one of specialTokens) or null
     * @param padToken       pad_token (one of specialTokens) or null
     * @param modelMaxLength tokenizer_config.json's model_max_length (tokens)
     * @param corpusName     what the documents were, for the note in tokenizer_config.json
     */
    public record Options(int targetVocab, int minFrequency, List<String> specialTokens, int reservedSpecialLimit,
                          String bosToken,
                          String eosToken, String padToken, int modelMaxLength, String corpusName) {
        public Options {
            specialTokens = List.copyOf(specialTokens);
            Objects.requireNonNull(corpusName, "corpusName");
            Set<String> seen = new HashSet<>();
            for (String s : specialTokens) {
                if (s.isEmpty()) throw new IllegalArgumentException("special tokens must not be empty strings");
                if (!seen.add(s)) throw new IllegalArgumentException("special token " + s + " is listed twice");
            }
            if (targetVocab < 256 + specialTokens.size()) {
                throw new IllegalArgumentException("targetVocab " + targetVocab + " is smaller than the 256 byte "
                        + "tokens plus " + specialTokens.size() + " special tokens: ask for at least "
                        + (256 + specialTokens.size()));
            }
            if (reservedSpecialLimit < 0) throw new IllegalArgumentException("reservedSpecialLimit must be >= 0");
            if (minFrequency < 1) throw new IllegalArgumentException("minFrequency must be >= 1, got " + minFrequency);
            if (modelMaxLength < 1) throw new IllegalArgumentException("modelMaxLength must be >= 1, got " + modelMaxLength);
            for (String role : new String[]{bosToken, eosToken, padToken}) {
                if (role != null && !seen.contains(role)) {
                    throw new IllegalArgumentException("bos/eos/pad token " + role + " is not one of the special "
                            + "tokens " + specialTokens + ": add it to specialTokens");
                }
            }
        }

        /**
         * ChatML specials ({@code <|endoftext|>} pad, {@code <|im_start|>}, {@code <|im_end|>} eos, no bos, as
         * Qwen2.5-Instruct / Qwen3), minFrequency 2, up to 256 reserved special fillers, model_max_length 8192.
         */
        public static Options defaults(int targetVocab) {
            return new Options(targetVocab, 2, CHATML_SPECIAL_TOKENS, 256, null, "<|im_end|>", "<|endoftext|>", 8192,
                    "caller-supplied documents");
        }

        public Options withMinFrequency(int f) {
            return new Options(targetVocab, f, specialTokens, reservedSpecialLimit, bosToken, eosToken, padToken, modelMaxLength, corpusName);
        }

        public Options withSpecialTokens(List<String> specials, String bos, String eos, String pad) {
            return new Options(targetVocab, minFrequency, specials, reservedSpecialLimit, bos, eos, pad, modelMaxLength, corpusName);
        }

        public Options withReservedSpecialLimit(int n) {
            return new Options(targetVocab, minFrequency, specialTokens, n, bosToken, eosToken, padToken, modelMaxLength, corpusName);
        }

        public Options withModelMaxLength(int n) {
            return new Options(targetVocab, minFrequency, specialTokens, reservedSpecialLimit, bosToken, eosToken, padToken, n, corpusName);
        }

        public Options withCorpusName(String name) {
            return new Options(targetVocab, minFrequency, specialTokens, reservedSpecialLimit, bosToken, eosToken, padToken, modelMaxLength, name);
        }

        /** Most tokens the merges may add: targetVocab minus bytes and specials. */
        int maxLearnedTokens() {
            return targetVocab - 256 - specialTokens.size();
        }
    }

    /** Trains on {@code documents} (each a separate text; pre-tokenization never crosses documents). */
    public static TrainedBpe train(Iterable<String> documents, Options options) {
        return train(documents, options, false);
    }

    /**
     * Trains on UTF-8 text files, read in chunks (whole files need not fit in memory); the result is the
     * same as training on each file's whole text as one document.
     *
     * @throws IllegalArgumentException naming the file when one is missing or not valid UTF-8
     */
    public static TrainedBpe trainFiles(List<Path> files, Options options) {
        WordCounter counter = new WordCounter(options.specialTokens());
        for (Path f : files) {
            counter.addDocument("");
            TextFileChunks.forEach(f, counter::addChunk);
        }
        return learn(counter, options, false);
    }

    /** {@code naive}: learn merges with the full-recount reference (tests only: O(merges x corpus)). */
    static TrainedBpe train(Iterable<String> documents, Options options, boolean naive) {
        WordCounter counter = new WordCounter(options.specialTokens());
        for (String d : documents) counter.addDocument(d);
        return learn(counter, options, naive);
    }

    private static TrainedBpe learn(WordCounter counter, Options options, boolean naive) {
        WordCounter.Words words = counter.finish();
        LearnedMerges merges = naive
                ? NaiveBpe.learn(words, options.maxLearnedTokens(), options.minFrequency())
                : IncrementalBpe.learn(words, options.maxLearnedTokens(), options.minFrequency());
        TrainedBpe.Corpus corpus = new TrainedBpe.Corpus(options.corpusName(), counter.documents(), counter.chars(),
                words.symbols().length, words.occurrences());
        return new TrainedBpe(merges, options, corpus);
    }
}
