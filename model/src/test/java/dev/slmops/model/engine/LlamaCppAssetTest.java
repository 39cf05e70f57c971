package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.generate.Generator;
import dev.slmops.model.generate.SamplingParams;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.model.tokenizer.Tokenizers;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A GGUF file slmops did not write (llama.cpp's converter: ../shared/assets/llama-2-tiny-random.gguf):
 * tokenization and the greedy continuation must be llama.cpp's, as recorded in ../shared/assets/README.md.
 */
class LlamaCppAssetTest {

    @Test
    void greedyContinuationOfOnceUponATimeIsLlamaCpps() throws Exception {
        Path asset = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        try (GgufFile gguf = GgufFile.open(asset)) {
            ModelConfig config = ModelConfig.fromGguf(gguf);
            Tokenizer tokenizer = Tokenizers.fromGgufMetadata(gguf.metadata());
            int[] prompt = tokenizer.encode("Once upon a time");
            assertThat(prompt).containsExactly(1, 9038, 2501, 263, 931);

            WeightSource weights = new GgufWeightSource(gguf);
            Transformer model = new Transformer(ModelWeights.bind(config, weights), 256, new dev.slmops.tensor.parallel.WorkerPool(2));
            Generator.Result r = new Generator(model, tokenizer)
                    .generate(prompt, SamplingParams.greedy(16), new KvCache(config, 256), null);
            assertThat(r.tokens()).containsExactly(17196, 5211, 21440, 25431, 7455, 3285, 29710, 4660, 29509, 31364,
                    19741, 8021, 29710, 4660, 29509, 31364);
        }
    }
}
