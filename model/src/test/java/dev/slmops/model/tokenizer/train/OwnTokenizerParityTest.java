package dev.slmops.model.tokenizer.train;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.model.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The project's own tokenizer ({@link Tokenizers#fromHfDir}) reads the trained files and gives the same ids
 * as Hugging Face's Rust tokenizers, string for string.
 */
class OwnTokenizerParityTest {

    static List<String> strings() {
        List<String> strings = new ArrayList<>(TrainedTokenizerFilesTest.heldOut());
        for (String doc : BuiltinCorpus.documents(31337L, 60_000)) {
            for (String line : doc.split("\n")) if (strings.size() < 700) strings.add(line);
        }
        return strings;
    }

    @Test
    void ownTokenizerMatchesRustTokenizersOnTheTrainedFiles() throws Exception {
        TrainedBpe bpe = TrainedFixture.bpe();
        Path dir = TrainedFixture.dir();
        Tokenizer ours = Tokenizers.fromHfDir(dir);
        assertThat(ours.vocabSize()).isEqualTo(4096);
        assertThat(ours.specials().eosIds()[0]).as("eos_token <|im_end|> first").isEqualTo(bpe.firstSpecialId() + 2);
        assertThat(ours.specials().bos()).isEmpty();
        List<String> mismatches = new ArrayList<>();
        int compared = 0;
        try (HuggingFaceTokenizer rust = TrainedTokenizerFilesTest.rust(dir.resolve("tokenizer.json"))) {
            for (String s : strings()) {
                long[] expected = rust.encode(s, false, false).getIds();
                int[] actual = ours.encode(s, false);
                if (!Arrays.equals(Arrays.stream(actual).asLongStream().toArray(), expected)) {
                    mismatches.add(s + "\n  rust: " + Arrays.toString(expected) + "\n  ours: " + Arrays.toString(actual));
                }
                assertThat(ours.decode(actual)).isEqualTo(Normalizer.normalize(s, Normalizer.Form.NFC));
                compared++;
            }
        }
        System.out.println("own tokenizer vs Rust tokenizers on trained files: " + compared + " strings, "
                + mismatches.size() + " mismatches");
        mismatches.stream().limit(5).forEach(System.out::println);
        assertThat(compared).isGreaterThanOrEqualTo(500);
        assertThat(mismatches).isEmpty();
    }

    @Test
    void ownTokenizerReadsAModelShape(@TempDir Path dir) {
        TrainedBpe bpe = BpeTrainer.train(BuiltinCorpus.documents(), BpeTrainer.Options.defaults(49_152));
        bpe.writeHfFiles(dir);
        Tokenizer ours = Tokenizers.fromHfDir(dir);
        assertThat(ours.vocabSize()).isEqualTo(49_152);
        assertThat(ours.token(bpe.firstUnusedId())).isEqualTo("<|unused_0|>");
        assertThat(ours.encode("<|im_start|>user\nHello!<|im_end|>", false)[0]).isEqualTo(bpe.firstSpecialId() + 1);
    }
}
