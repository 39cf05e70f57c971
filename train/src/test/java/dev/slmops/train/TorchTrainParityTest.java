package dev.slmops.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.engine.HfWeightSource;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loss and every gradient of a training step against PyTorch (scripts/reference/torch_train.py: transformers'
 * modeling code, float32, autograd) for each architecture's tiny random model, full fine-tuning and LoRA on every
 * projection, with and without gradient checkpointing. Tolerances: loss 1e-5 relative; each gradient tensor's max
 * |diff| within 1e-5 of its max |value| (float32 sums in different orders differ by ~1e-6 of that).
 */
class TorchTrainParityTest {
    static final double LOSS_TOLERANCE = 1e-5;
    static final double GRAD_TOLERANCE = 1e-5;
    static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama3-rope", "qwen2", "qwen3", "phi3", "gemma3"})
    void fullFineTuningGradientsMatchPyTorch(String name) throws IOException {
        Path dir = TorchGoldens.dir(name);
        List<Example> batch = TorchGoldens.batch(dir);
        JsonNode expected = TorchGoldens.json(dir.resolve("full.json"));
        Map<String, float[]> grads = TorchGoldens.tensors(dir.resolve("full_grads.safetensors"));
        try (HfModelDir hf = HfModelDir.open(dir)) {
            HfWeightSource src = new HfWeightSource(hf);
            ModelConfig c = ModelConfig.fromHf(hf.config());
            for (boolean checkpointing : new boolean[] {false, true}) {
                FullFineTuning model = FullFineTuning.create(c, src, c.contextLength(), POOL).gradientCheckpointing(checkpointing);
                Loss loss = model.forwardBackward(batch);
                assertLoss(name + " full", loss, expected);
                assertGrads(name + " full" + (checkpointing ? " (checkpointing)" : ""), model.parameters(), grads);
                assertThat(model.evaluate(batch).sum()).isCloseTo(loss.sum(), org.assertj.core.api.Assertions.within(1e-3));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama3-rope", "qwen2", "qwen3", "phi3", "gemma3"})
    void loraGradientsMatchPyTorch(String name) throws IOException {
        Path dir = TorchGoldens.dir(name);
        List<Example> batch = TorchGoldens.batch(dir);
        JsonNode expected = TorchGoldens.json(dir.resolve("lora.json"));
        Map<String, float[]> adapter = TorchGoldens.tensors(dir.resolve("lora_adapter.safetensors"));
        Map<String, float[]> grads = TorchGoldens.tensors(dir.resolve("lora_grads.safetensors"));
        List<String> targets = new ArrayList<>();
        expected.get("target_modules").forEach(n -> targets.add(n.asText()));
        LoraConfig lora = new LoraConfig(expected.get("r").asInt(), (float) expected.get("alpha").asDouble(), 0f,
                targets, expected.get("rslora").asBoolean(), 1);
        try (HfModelDir hf = HfModelDir.open(dir)) {
            HfWeightSource src = new HfWeightSource(hf);
            ModelConfig c = ModelConfig.fromHf(hf.config());
            LoraFineTuning model = LoraFineTuning.create(c, src, lora, c.contextLength(), POOL).gradientCheckpointing(true);
            Parameters p = model.parameters();
            assertThat(p.entries()).hasSize(adapter.size());
            for (Parameters.Entry e : p.entries()) {
                float[] v = adapter.get(e.name());
                assertThat(v).as("golden adapter tensor %s", e.name()).isNotNull().hasSize(e.length());
                System.arraycopy(v, 0, p.values(), e.offset(), e.length());
            }
            assertLoss(name + " lora", model.forwardBackward(batch), expected);
            assertGrads(name + " lora", p, grads);
        }
    }

    static void assertLoss(String what, Loss loss, JsonNode expected) {
        double want = expected.get("loss_sum").asDouble();
        System.out.printf("%s: loss %.6f vs torch %.6f (rel %.2g), %d tokens%n", what, loss.sum(), want,
                Math.abs(loss.sum() - want) / Math.abs(want), loss.tokens());
        assertThat(loss.tokens()).as("%s predicted tokens", what).isEqualTo(expected.get("tokens").asLong());
        assertThat(Math.abs(loss.sum() - want) / Math.abs(want)).as("%s relative loss difference", what).isLessThan(LOSS_TOLERANCE);
    }

    static void assertGrads(String what, Parameters p, Map<String, float[]> expected) {
        assertThat(p.entries()).as("%s parameter count", what).hasSize(expected.size());
        double worst = 0;
        String worstName = "";
        for (Parameters.Entry e : p.entries()) {
            float[] want = expected.get(e.name());
            assertThat(want).as("%s: torch has a gradient for %s", what, e.name()).isNotNull().hasSize(e.length());
            double maxDiff = 0, maxRef = 0;
            for (int i = 0; i < e.length(); i++) {
                maxDiff = Math.max(maxDiff, Math.abs(p.grads()[e.offset() + i] - want[i]));
                maxRef = Math.max(maxRef, Math.abs(want[i]));
            }
            double rel = maxDiff / Math.max(maxRef, 1e-30);
            if (rel > worst) {
                worst = rel;
                worstName = e.name();
            }
            assertThat(rel).as("%s gradient %s: max |diff| %.3g of max |grad| %.3g", what, e.name(), maxDiff, maxRef)
                    .isLessThan(GRAD_TOLERANCE);
        }
        System.out.printf("%s: %d gradient tensors, worst relative difference %.2g (%s)%n", what, p.entries().size(),
                worst, worstName);
    }
}
