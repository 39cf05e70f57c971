package dev.slmops.workflows.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.engine.HfWeightSource;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.model.engine.KvCache;
import dev.slmops.model.engine.ModelWeights;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.load.AdapterOverlay;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.model.lora.LoraFiles;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.testkit.ProjectFiles;
import dev.slmops.train.Example;
import dev.slmops.train.FullFineTuning;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A PEFT adapter with modules_to_save, written by PyTorch (scripts/reference/torch_modules_to_save.py), merged into
 * its base: the merged model's loss over the golden batch is the loss torch computed with the adapter applied (LoRA
 * pairs added, saved copies in place of the base tensors, a tied head untied as PEFT does). The tied cases check the
 * merge writes lm_head.weight and turns tie_word_embeddings off. The base loaded under the adapter without merging
 * (AdapterOverlay, as PeftModel.from_pretrained does; what generate, chat and eval --adapter load) gives it too.
 */
class MergeModulesToSaveTorchTest {
    static final Path GOLDEN = ProjectFiles.root().resolve("train/src/test/resources/golden");

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3", "llama3-rope"})
    void mergedModelGivesTorchsLoss(String name, @TempDir Path tmp) throws Exception {
        Path base = GOLDEN.resolve("torch-train/" + name), golden = GOLDEN.resolve("torch-modules-to-save/" + name);
        assertThat(golden.resolve("case.json")).as("run scripts/reference/torch_modules_to_save.py").isRegularFile();
        ObjectMapper json = new ObjectMapper();
        JsonNode expected = json.readTree(golden.resolve("case.json").toFile());
        Path merged = tmp.resolve("merged");
        try (ModelFiles src = ModelFiles.open(base)) {
            AdapterMerge.merge(src, LoraFiles.load(golden.resolve("adapter"), src.config()), merged, DType.F32,
                    AdapterMerge.Format.HF, false, w -> { });
        }
        List<Example> batch = new ArrayList<>();
        for (JsonNode e : json.readTree(base.resolve("batch.json").toFile()).get("examples")) {
            batch.add(new Example(json.convertValue(e.get("tokens"), int[].class), json.convertValue(e.get("lossOn"), boolean[].class)));
        }
        try (HfModelDir hf = HfModelDir.open(merged); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.fromHf(hf.config());
            if (expected.get("tied").asBoolean()) {
                assertThat(c.tieEmbeddings()).as("merged config unties the head").isFalse();
                assertThat(hf.tensorNames()).contains("lm_head.weight");
            }
            double loss = FullFineTuning.create(c, new HfWeightSource(hf), c.contextLength(), pool).evaluate(batch).sum();
            double want = expected.get("loss_sum").asDouble();
            System.out.printf("%s merged with modules_to_save %s: loss %.6f vs torch %.6f%n", name,
                    expected.get("modules_to_save"), loss, want);
            assertThat(loss).isCloseTo(want, within(1e-5 * Math.abs(want)));
        }
        assertThat(Files.readString(merged.resolve("config.json"))).contains("\"torch_dtype\": \"float32\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3", "llama3-rope"})
    void baseUnderTheUnmergedAdapterGivesTorchsLoss(String name) throws Exception {
        Path base = GOLDEN.resolve("torch-train/" + name), golden = GOLDEN.resolve("torch-modules-to-save/" + name);
        ObjectMapper json = new ObjectMapper();
        JsonNode expected = json.readTree(golden.resolve("case.json").toFile());
        double loss = 0;
        try (HfModelDir hf = HfModelDir.open(base); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig baseConfig = ModelConfig.fromHf(hf.config());
            AdapterOverlay under = AdapterOverlay.of(baseConfig, new HfWeightSource(hf),
                    LoraFiles.load(golden.resolve("adapter"), baseConfig));
            assertThat(under.pairs().savedTensors()).as("bound in place of the base's").isEmpty();
            if (expected.get("tied").asBoolean()) {
                assertThat(under.config().tieEmbeddings()).as("a saved head or embedding unties the model").isFalse();
            }
            Transformer m = new Transformer(ModelWeights.bind(under.config(), under.weights()), 128, pool);
            int V = under.config().vocabSize();
            for (JsonNode e : json.readTree(base.resolve("batch.json").toFile()).get("examples")) {
                int[] tokens = json.convertValue(e.get("tokens"), int[].class);
                boolean[] on = json.convertValue(e.get("lossOn"), boolean[].class);
                float[] logits = m.forward(new KvCache(under.config(), 128), tokens, true, under.pairs()); // [T, V]
                for (int t = 1; t < tokens.length; t++) {
                    if (!on[t]) continue;
                    int off = (t - 1) * V;
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int v = 0; v < V; v++) max = Math.max(max, logits[off + v]);
                    for (int v = 0; v < V; v++) sum += Math.exp(logits[off + v] - max);
                    loss += max + Math.log(sum) - logits[off + tokens[t]];
                }
            }
        }
        double want = expected.get("loss_sum").asDouble();
        System.out.printf("%s under the unmerged adapter with modules_to_save %s: loss %.6f vs torch %.6f%n", name,
                expected.get("modules_to_save"), loss, want);
        assertThat(loss).isCloseTo(want, within(1e-5 * Math.abs(want)));
    }
}
