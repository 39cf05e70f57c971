package dev.slmops.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.engine.HfWeightSource;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.model.format.peft.PeftAdapterFiles;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * LoRA with PEFT's modules_to_save against PyTorch (scripts/reference/torch_modules_to_save.py): the tensors PEFT's
 * suffix rule selects become trainable copies, and the loss and the gradient of every adapter tensor (A, B and each
 * saved copy) match autograd's, for an untied head, a tied model saving both embedding and head (two separate copies)
 * and a tied model saving only the embedding (the head stays the original table). Tolerances as
 * {@link TorchTrainParityTest}. The PEFT directory torch wrote is read back by our reader, and ours round-trips.
 */
class TorchModulesToSaveTest {
    static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    static Path golden(String name) {
        try {
            var url = TorchModulesToSaveTest.class.getResource("/golden/torch-modules-to-save/" + name + "/case.json");
            if (url == null) throw new IllegalStateException("golden files of " + name + " are missing: run "
                    + "scripts/reference/torch_modules_to_save.py");
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3", "llama3-rope"})
    void savedModulesAndAdapterGradientsMatchPyTorch(String name, @TempDir Path tmp) throws IOException {
        Path dir = golden(name), model = TorchGoldens.dir(name);
        JsonNode expected = TorchGoldens.json(dir.resolve("case.json"));
        List<String> targets = strings(expected.get("target_modules"));
        List<String> toSave = strings(expected.get("modules_to_save"));
        Map<String, float[]> adapter = TorchGoldens.tensors(dir.resolve("adapter/adapter_model.safetensors"));
        Map<String, float[]> grads = TorchGoldens.tensors(dir.resolve("grads.safetensors"));
        LoraConfig lora = new LoraConfig(expected.get("r").asInt(), (float) expected.get("alpha").asDouble(), 0f,
                targets, false, 1, toSave);
        try (HfModelDir hf = HfModelDir.open(model)) {
            ModelConfig c = ModelConfig.fromHf(hf.config());
            LoraFineTuning m = LoraFineTuning.create(c, new HfWeightSource(hf), lora, c.contextLength(), POOL);
            Parameters p = m.parameters();
            // the saved tensors PEFT's rule selects, by the same names
            List<String> saved = new ArrayList<>(m.adapter().savedTensors().keySet());
            assertThat(saved).containsExactlyInAnyOrderElementsOf(strings(expected.get("saved_tensors")));
            for (Parameters.Entry e : p.entries()) {
                float[] v = adapter.get(e.name());
                assertThat(v).as("golden adapter tensor %s", e.name()).isNotNull().hasSize(e.length());
                System.arraycopy(v, 0, p.values(), e.offset(), e.length());
            }
            TorchTrainParityTest.assertLoss(name + " modules_to_save " + toSave, m.forwardBackward(List.copyOf(TorchGoldens.batch(model))), expected);
            TorchTrainParityTest.assertGrads(name + " modules_to_save " + toSave, p, grads);

            // torch's PEFT directory through our reader: the same tensors, the same names
            LoraAdapter fromTorch = PeftAdapterFiles.read(dir.resolve("adapter"));
            fromTorch.checkFits(c);
            assertThat(fromTorch.modulesToSave()).isEqualTo(toSave);
            assertThat(fromTorch.savedTensors().keySet()).containsExactlyInAnyOrderElementsOf(saved);
            // ours, written and read back: the trained values (live in the parameter buffer) and the config names
            PeftAdapterFiles.write(m.adapter(), tmp.resolve("peft"), DType.F32, null);
            LoraAdapter back = PeftAdapterFiles.read(tmp.resolve("peft"));
            assertThat(back.modulesToSave()).isEqualTo(toSave);
            Map<String, float[]> written = TorchGoldens.tensors(tmp.resolve("peft/adapter_model.safetensors"));
            assertThat(written.keySet()).containsExactlyInAnyOrderElementsOf(adapter.keySet());
            for (String k : adapter.keySet()) assertThat(written.get(k)).as(k).containsExactly(adapter.get(k));
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
