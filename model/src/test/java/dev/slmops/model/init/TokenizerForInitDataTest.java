package dev.slmops.model.init;

import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.model.tokenizer.Tokenizers;
import dev.slmops.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** init's tokenizer trained on the user's text files (slmops init --tokenizer-data) instead of the built-in corpus. */
class TokenizerForInitDataTest {

    @Test
    void aWordFrequentOnlyInTheGivenTextBecomesOneToken(@TempDir Path tmp) throws Exception {
        // "zyxquorbl" occurs nowhere in the built-in corpus; repeated here it must be learned as one token.
        Path text = tmp.resolve("corpus.txt");
        Files.writeString(text, " zyxquorbl wibble".repeat(400) + "\nThe quick brown fox jumps over the lazy dog.\n");
        ModelInit.Options o = new ModelInit.Options(ModelInit.shapeConfig("tiny-llama"), DType.F32, 1, 0);
        Path dir = TokenizerForInit.writeModel(o, null, List.of(text), tmp.resolve("model"), false);
        Tokenizer tok = Tokenizers.fromHfDir(dir);
        assertThat(tok.vocabSize()).isEqualTo(512);
        assertThat(tok.encode(" zyxquorbl", false)).hasSize(1);

        Path builtin = TokenizerForInit.writeModel(o, null, tmp.resolve("builtin"), false);
        assertThat(Tokenizers.fromHfDir(builtin).encode(" zyxquorbl", false).length).isGreaterThan(1);
    }

    @Test
    void aTokenizerDirectoryAndTrainingTextExcludeEachOther(@TempDir Path tmp) throws Exception {
        Path text = Files.writeString(tmp.resolve("t.txt"), "some text");
        ModelInit.Options o = new ModelInit.Options(ModelInit.shapeConfig("tiny-llama"), DType.F32, 1, 0);
        assertThatThrownBy(() -> TokenizerForInit.writeModel(o, tmp, List.of(text), tmp.resolve("m"), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
    }
}
