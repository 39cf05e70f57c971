package dev.slmops.model.tokenizer.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One 4,096-id tokenizer trained on the built-in corpus and written once per test JVM, shared by the tests. */
final class TrainedFixture {
    static final int VOCAB = 4096;
    private static TrainedBpe bpe;
    private static Path dir;

    private TrainedFixture() {
    }

    static synchronized TrainedBpe bpe() {
        if (bpe == null) {
            bpe = BpeTrainer.train(BuiltinCorpus.documents(), BpeTrainer.Options.defaults(VOCAB)
                    .withCorpusName(BuiltinCorpus.DESCRIPTION));
            try {
                dir = Files.createTempDirectory("slmops-bpe-fixture");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            bpe.writeHfFiles(dir);
            dir.toFile().deleteOnExit();
            for (String f : new String[]{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
                dir.resolve(f).toFile().deleteOnExit();
            }
        }
        return bpe;
    }

    /** The directory holding the fixture's tokenizer files. */
    static synchronized Path dir() {
        bpe();
        return dir;
    }
}
