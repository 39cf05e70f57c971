package dev.slmops.model.init;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.model.tokenizer.Tokenizers;
import dev.slmops.model.tokenizer.train.BpeTrainer;
import dev.slmops.model.tokenizer.train.BuiltinCorpus;
import dev.slmops.model.tokenizer.train.TrainedBpe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.slmops.model.format.SafeFiles.deleteTree;

/**
 * The tokenizer a new model gets: the files of an existing model (whose vocabulary must fit the config's
 * vocab_size), or a byte-level BPE trained on the built-in corpus up to exactly vocab_size ids (ids the corpus
 * cannot fill become unused vocabulary entries no merge produces, plus up to 256 reserved special tokens, as the
 * tokenizer_config.json's slmops_note says). The config's bos/eos ids are set to the tokenizer's.
 */
public final class TokenizerForInit {
    private TokenizerForInit() {
    }

    static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "chat_template.jinja");

    /** Writes the model with its tokenizer; {@code tokenizerDir} null trains one on the built-in corpus. */
    public static Path writeModel(ModelInit.Options o, Path tokenizerDir, Path output, boolean replace) throws IOException {
        return writeModel(o, tokenizerDir, List.of(), output, replace);
    }

    /**
     * Writes the model with its tokenizer: the files of {@code tokenizerDir} when it is not null, else a BPE trained
     * on {@code tokenizerData} (UTF-8 text files, each one document) when that is not empty, else one trained on the
     * built-in corpus.
     */
    public static Path writeModel(ModelInit.Options o, Path tokenizerDir, List<Path> tokenizerData, Path output,
                                  boolean replace) throws IOException {
        if (tokenizerDir != null && !tokenizerData.isEmpty()) {
            throw new IllegalArgumentException("give either a tokenizer directory to copy or text files to train one "
                    + "on, not both");
        }
        ObjectNode config = o.config().deepCopy();
        int vocab = config.path("vocab_size").asInt();
        Path tmp = null;
        try {
            Path dir = tokenizerDir;
            if (dir == null) {
                tmp = Files.createTempDirectory("slmops-tokenizer");
                int maxLength = config.path("max_position_embeddings").asInt(8192);
                TrainedBpe bpe = tokenizerData.isEmpty()
                        ? BpeTrainer.train(BuiltinCorpus.documents(), BpeTrainer.Options.defaults(vocab)
                                .withCorpusName(BuiltinCorpus.DESCRIPTION).withModelMaxLength(maxLength))
                        : BpeTrainer.trainFiles(tokenizerData, BpeTrainer.Options.defaults(vocab)
                                .withCorpusName("text files " + tokenizerData.stream().map(p -> p.getFileName().toString())
                                        .toList()).withModelMaxLength(maxLength));
                dir = tmp.resolve("tok");
                bpe.writeHfFiles(dir);
            }
            if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
                throw new IllegalArgumentException(dir + " has no tokenizer.json to copy");
            }
            Tokenizer tok = Tokenizers.fromHfDir(dir);
            if (tok.vocabSize() > vocab) {
                throw new IllegalArgumentException("the tokenizer in " + dir + " has " + tok.vocabSize()
                        + " tokens, more than the config's vocab_size " + vocab);
            }
            if (tok.specials().bos().isPresent()) config.put("bos_token_id", tok.specials().bos().getAsInt());
            else config.remove("bos_token_id");
            int[] eos = tok.specials().eosIds();
            if (eos.length > 0) config.put("eos_token_id", eos[0]);
            List<Path> files = new ArrayList<>();
            for (String f : TOKENIZER_FILES) if (Files.isRegularFile(dir.resolve(f))) files.add(dir.resolve(f));
            return ModelInit.write(new ModelInit.Options(config, o.dtype(), o.seed(), o.normNoise()), files, output, replace);
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

}
