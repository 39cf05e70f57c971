package dev.slmops.model.tokenizer.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A trained byte-level BPE vocabulary: {@link #vocabSize()} ids laid out as
 * [0, 256) bytes, [256, 256 + learned) learned tokens, then {@link #specialTokens()}, then
 * {@link #reservedTokens()}. Immutable; write it out with {@link #writeHfFiles(Path)}.
 */
public final class TrainedBpe {
    /** What was trained on: documents, UTF-16 chars, distinct pre-tokenizer pieces and their total count. */
    public record Corpus(String name, long documents, long chars, long distinctWords, long wordOccurrences) {
    }

    private final LearnedMerges merges;
    private final BpeTrainer.Options options;
    private final Corpus corpus;
    private final List<String> reserved;

    TrainedBpe(LearnedMerges merges, BpeTrainer.Options options, Corpus corpus) {
        this.merges = merges;
        this.options = options;
        this.corpus = corpus;
        int fill = options.targetVocab() - merges.tokens().size() - options.specialTokens().size();
        Set<String> taken = new HashSet<>(options.specialTokens());
        List<String> r = new ArrayList<>(fill);
        for (int n = 0; r.size() < fill; n++) {
            String name = "<|reserved_" + n + "|>";
            if (!taken.contains(name)) r.add(name);
        }
        this.reserved = Collections.unmodifiableList(r);
    }

    /** Number of ids; equals the options' targetVocab. */
    public int vocabSize() {
        return merges.tokens().size() + options.specialTokens().size() + reserved.size();
    }

    /** Tokens made by merges (not counting the 256 bytes). */
    public int learnedTokenCount() {
        return merges.learnedTokenCount();
    }

    /** Merges in rank order; at least {@link #learnedTokenCount()} (more when two merges made the same bytes). */
    public int mergeCount() {
        return merges.mergeCount();
    }

    /** Merge {@code rank} as tokenizer.json writes it: the two byte-level token strings joined by a space. */
    public String merge(int rank) {
        return token(merges.left()[rank]) + " " + token(merges.right()[rank]);
    }

    /** How often merge {@code rank}'s pair occurred when it was chosen. */
    public long mergeFrequency(int rank) {
        return merges.frequency()[rank];
    }

    /** True when merging stopped because no pair reached minFrequency (the rest of the ids are reserved filler). */
    public boolean corpusExhausted() {
        return merges.corpusExhausted();
    }

    /** Id of the first special token; the BPE model's own vocabulary is [0, this). */
    public int firstSpecialId() {
        return merges.tokens().size();
    }

    public List<String> specialTokens() {
        return options.specialTokens();
    }

    /** The {@code <|reserved_N|>} fillers, ids right after the special tokens. */
    public List<String> reservedTokens() {
        return reserved;
    }

    /** The token string of {@code id}: byte-level form for BPE tokens, the literal text for added tokens. */
    public String token(int id) {
        if (id < 0 || id >= vocabSize()) throw new IndexOutOfBoundsException("token id " + id + " not in [0, " + vocabSize() + ")");
        int bpe = merges.tokens().size();
        if (id < bpe) return ByteLevelAlphabet.encode(merges.tokens().get(id));
        int s = id - bpe;
        if (s < options.specialTokens().size()) return options.specialTokens().get(s);
        return reserved.get(s - options.specialTokens().size());
    }

    /** The raw bytes of BPE token {@code id} (id below {@link #firstSpecialId()}). */
    public byte[] tokenBytes(int id) {
        return merges.tokens().get(id).clone();
    }

    public BpeTrainer.Options options() {
        return options;
    }

    public Corpus corpus() {
        return corpus;
    }

    /** The sentence written as tokenizer_config.json's "slmops_note". */
    public String note() {
        StringBuilder sb = new StringBuilder();
        sb.append("Byte-level BPE trained by slmops (dev.slmops.model.tokenizer.train.BpeTrainer) on ")
                .append(corpus.name()).append(" (").append(corpus.documents()).append(" documents, ")
                .append(corpus.chars()).append(" chars): 256 byte tokens + ").append(learnedTokenCount())
                .append(" learned tokens from ").append(mergeCount()).append(" merges (min_frequency ")
                .append(options.minFrequency()).append(") + ").append(options.specialTokens().size())
                .append(" special tokens");
        if (!reserved.isEmpty()) {
            sb.append(" + ").append(reserved.size()).append(" reserved filler tokens ").append(reserved.get(0))
                    .append(reserved.size() > 1 ? ".." + reserved.get(reserved.size() - 1) : "")
                    .append(" = ").append(vocabSize()).append(" ids. ");
            sb.append(corpusExhausted()
                    ? "The corpus supported no more merges at this min_frequency, so the remaining ids are "
                      + "reserved special tokens that never occur in encoded text; their embeddings stay untrained."
                    : "The remaining ids are reserved special tokens.");
        } else {
            sb.append(" = ").append(vocabSize()).append(" ids.");
        }
        return sb.toString();
    }

    /**
     * Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json} into
     * {@code dir} (created if missing). Each file is written to a temporary file first and renamed into place
     * only when all three are complete, so a failure never leaves a half-written file.
     */
    public void writeHfFiles(Path dir) {
        HfTokenizerFiles.write(this, dir);
    }

    LearnedMerges learned() {
        return merges;
    }
}
