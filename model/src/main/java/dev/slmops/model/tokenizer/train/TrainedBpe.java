package dev.slmops.model.tokenizer.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A trained byte-level BPE vocabulary of exactly {@code targetVocab} ids, laid out as
 * <pre>
 * [0, 256)                         the bytes (id b = byte b)
 * [256, firstUnusedId)             learned tokens, in the order the merges made them
 * [firstUnusedId, firstSpecialId)  {@code <|unused_N|>}: plain vocabulary entries no merge produces
 * [firstSpecialId, +specials)      the special tokens, in the order given
 * [.., vocabSize)                  {@code <|reserved_N|>}: added special tokens (at most reservedSpecialLimit)
 * </pre>
 * The fillers (unused, reserved) exist only when the corpus could not support enough merges. Hugging Face
 * tokenizers numbers added tokens itself, from the size of the model's vocab on, so the model's vocab must be
 * exactly [0, firstSpecialId) and every added token must come after it; that is why plain fillers sit before
 * the specials. Immutable; write it out with {@link #writeHfFiles(Path)}.
 */
public final class TrainedBpe {
    /** What was trained on: documents, UTF-16 chars, distinct pre-tokenizer pieces and their total count. */
    public record Corpus(String name, long documents, long chars, long distinctWords, long wordOccurrences) {
    }

    private final LearnedMerges merges;
    private final BpeTrainer.Options options;
    private final Corpus corpus;
    private final List<String> unused;
    private final List<String> reserved;

    TrainedBpe(LearnedMerges merges, BpeTrainer.Options options, Corpus corpus) {
        this.merges = merges;
        this.options = options;
        this.corpus = corpus;
        int fill = options.targetVocab() - merges.tokens().size() - options.specialTokens().size();
        int reservedCount = Math.min(fill, options.reservedSpecialLimit());
        Set<String> taken = new HashSet<>(options.specialTokens());
        if (fill > 0) {
            // a filler must not repeat a learned token or a special: vocabulary keys are unique
            for (byte[] t : merges.tokens()) taken.add(ByteLevelAlphabet.encode(t));
        }
        this.unused = names("<|unused_", fill - reservedCount, taken);
        this.reserved = names("<|reserved_", reservedCount, taken);
    }

    private static List<String> names(String prefix, int count, Set<String> taken) {
        List<String> r = new ArrayList<>(count);
        for (int n = 0; r.size() < count; n++) {
            String name = prefix + n + "|>";
            if (!taken.contains(name)) r.add(name);
        }
        return Collections.unmodifiableList(r);
    }

    /** Number of ids; equals the options' targetVocab. */
    public int vocabSize() {
        return firstSpecialId() + options.specialTokens().size() + reserved.size();
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

    /** True when merging stopped because no pair reached minFrequency (the rest of the ids are filler). */
    public boolean corpusExhausted() {
        return merges.corpusExhausted();
    }

    /** Id of the first {@code <|unused_N|>} filler: bytes and learned tokens are [0, this). */
    public int firstUnusedId() {
        return merges.tokens().size();
    }

    /** Id of the first special token: the BPE model's vocab is [0, this), added tokens are [this, vocabSize). */
    public int firstSpecialId() {
        return merges.tokens().size() + unused.size();
    }

    /** True for ids written as added tokens (specials and reserved fillers), which encoding keeps whole. */
    public boolean isAddedToken(int id) {
        return id >= firstSpecialId() && id < vocabSize();
    }

    public List<String> specialTokens() {
        return options.specialTokens();
    }

    /** The {@code <|reserved_N|>} fillers: added special tokens after the specials, free to be given a use later. */
    public List<String> reservedTokens() {
        return reserved;
    }

    /** The {@code <|unused_N|>} fillers: plain vocabulary entries (ids from {@link #firstUnusedId()}) never produced. */
    public List<String> unusedTokens() {
        return unused;
    }

    /** The token string of {@code id}: byte-level form for BPE tokens, the name for fillers and added tokens. */
    public String token(int id) {
        if (id < 0 || id >= vocabSize()) throw new IndexOutOfBoundsException("token id " + id + " not in [0, " + vocabSize() + ")");
        if (id < firstUnusedId()) return ByteLevelAlphabet.encode(merges.tokens().get(id));
        if (id < firstSpecialId()) return unused.get(id - firstUnusedId());
        int s = id - firstSpecialId();
        if (s < options.specialTokens().size()) return options.specialTokens().get(s);
        return reserved.get(s - options.specialTokens().size());
    }

    /** The raw bytes of learned or byte token {@code id} (below {@link #firstUnusedId()}). */
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
                .append(options.minFrequency()).append(")");
        if (!unused.isEmpty()) {
            sb.append(" + ").append(unused.size()).append(" unused filler tokens ").append(range(unused));
        }
        sb.append(" + ").append(options.specialTokens().size()).append(" special tokens");
        if (!reserved.isEmpty()) {
            sb.append(" + ").append(reserved.size()).append(" reserved special tokens ").append(range(reserved));
        }
        sb.append(" = ").append(vocabSize()).append(" ids.");
        if (!unused.isEmpty() || !reserved.isEmpty()) {
            sb.append(corpusExhausted()
                    ? " The corpus supported no more merges at this min_frequency, so the remaining ids are filler "
                      + "that never occurs in encoded text; their embeddings stay untrained."
                    : "");
            sb.append(" Reserved fillers are added special tokens (as Llama 3's), free to be given a use later.");
            if (!unused.isEmpty()) {
                sb.append(" Unused fillers are plain vocabulary entries that no merge produces: as added tokens, "
                        + "hundreds of thousands of them would make Hugging Face tokenizers load for minutes.");
            }
        }
        return sb.toString();
    }

    private static String range(List<String> names) {
        return names.size() == 1 ? names.getFirst() : names.getFirst() + ".." + names.getLast();
    }

    /**
     * Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json} into
     * {@code dir} (created if missing). Each file is written to a temporary file first and renamed into place
     * only when all three are complete, so a failure never leaves a half-written file.
     */
    public void writeHfFiles(Path dir) {
        HfTokenizerFiles.write(this, dir);
    }
}
