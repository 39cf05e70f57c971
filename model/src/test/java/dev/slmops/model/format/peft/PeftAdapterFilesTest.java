package dev.slmops.model.format.peft;

import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.safetensors.SafetensorsFile;
import dev.slmops.model.format.safetensors.SafetensorsWriter;
import dev.slmops.model.format.safetensors.TensorToWrite;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraWeights;
import dev.slmops.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PEFT's file layout (key names, shapes, config fields, patterns) and a clear error for each defect. */
class PeftAdapterFilesTest {
    static LoraAdapter twoModules() {
        float[] buf = new float[2 * (2 * 8 + 6 * 2)];
        for (int i = 0; i < buf.length; i++) buf[i] = i * 0.01f;
        LoraWeights q = new LoraWeights(2, 8, 6, 4f, buf, 0, buf, 16);
        LoraWeights v = new LoraWeights(2, 8, 6, 1.5f, buf, 28, buf, 44); // a module with its own alpha (3)
        return new LoraAdapter("t", 2, 8, false, List.of("q_proj", "v_proj"),
                Map.of("model.layers.0.self_attn.q_proj", q, "model.layers.0.self_attn.v_proj", v), Map.of());
    }

    @Test
    void writesPeftKeysShapesAndConfig(@TempDir Path tmp) throws Exception {
        PeftAdapterFiles.write(twoModules(), tmp, DType.F16, "org/base");
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            StoredTensor a = f.tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
            StoredTensor b = f.tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight");
            assertThat(a.shape()).containsExactly(2, 8);
            assertThat(b.shape()).containsExactly(6, 2);
            assertThat(a.dtype()).isEqualTo(DType.F16);
            assertThat(f.metadata()).containsEntry("format", "pt");
        }
        var cfg = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tmp.resolve("adapter_config.json").toFile());
        assertThat(cfg.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(cfg.get("task_type").asText()).isEqualTo("CAUSAL_LM");
        assertThat(cfg.get("r").asInt()).isEqualTo(2);
        assertThat(cfg.get("lora_alpha").asDouble()).isEqualTo(8);
        assertThat(cfg.get("base_model_name_or_path").asText()).isEqualTo("org/base");
        assertThat(cfg.get("alpha_pattern").get("model.layers.0.self_attn.v_proj").asDouble()).isEqualTo(3);
        LoraAdapter back = PeftAdapterFiles.read(tmp);
        assertThat(back.module("model.layers.0.self_attn.q_proj").scale()).isEqualTo(4f);
        assertThat(back.module("model.layers.0.self_attn.v_proj").scale()).isEqualTo(1.5f);
        assertThat(back.values()).isNotNull();
    }

    @Test
    void readsPeftsAdapterNameInKeysAndRsLora(@TempDir Path tmp) throws Exception {
        float[] a = new float[4 * 3], b = new float[5 * 4];
        SafetensorsWriter.write(tmp.resolve("adapter_model.safetensors"), List.of(
                TensorToWrite.ofFloats("base_model.model.model.layers.1.mlp.down_proj.lora_A.default.weight", new long[] {4, 3}, a, DType.BF16),
                TensorToWrite.ofFloats("base_model.model.model.layers.1.mlp.down_proj.lora_B.default.weight", new long[] {5, 4}, b, DType.BF16)));
        Files.writeString(tmp.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 16, "
                + "\"use_rslora\": true, \"target_modules\": [\"down_proj\"]}");
        LoraWeights w = PeftAdapterFiles.read(tmp).module("model.layers.1.mlp.down_proj");
        assertThat(w.r()).isEqualTo(4);
        assertThat(w.scale()).isEqualTo(8f); // 16 / sqrt(4)
    }

    @Test
    void defectsAreNamed(@TempDir Path tmp) throws Exception {
        assertThatThrownBy(() -> PeftAdapterFiles.read(tmp.resolve("none")))
                .isInstanceOf(ModelFileException.class).hasMessageContaining("has no adapter_config.json");
        Path dir = tmp.resolve("a");
        PeftAdapterFiles.write(twoModules(), dir, DType.F32, null);
        Path cfg = dir.resolve("adapter_config.json");
        String good = Files.readString(cfg);

        Files.writeString(cfg, good.replace("\"use_dora\" : false", "\"use_dora\" : true"));
        assertThatThrownBy(() -> PeftAdapterFiles.read(dir)).hasMessageContaining("DoRA");
        Files.writeString(cfg, good.replace("\"peft_type\" : \"LORA\"", "\"peft_type\" : \"IA3\""));
        assertThatThrownBy(() -> PeftAdapterFiles.read(dir)).hasMessageContaining("peft_type is IA3");
        Files.writeString(cfg, good.replace("\"r\" : 2", "\"r\" : -1"));
        assertThatThrownBy(() -> PeftAdapterFiles.read(dir)).hasMessageContaining("r must be a positive integer");
        Files.writeString(cfg, "{\"r\": ");
        assertThatThrownBy(() -> PeftAdapterFiles.read(dir)).hasMessageContaining("adapter_config.json").hasMessageContaining("not valid JSON");
        Files.writeString(cfg, good);

        Files.move(dir.resolve("adapter_model.safetensors"), dir.resolve("adapter_model.bin"));
        assertThatThrownBy(() -> PeftAdapterFiles.read(dir)).hasMessageContaining("safe_serialization");

        SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), List.of(TensorToWrite.ofFloats(
                "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", new long[] {2, 8}, new float[16], DType.F32)));
        assertThatThrownBy(() -> PeftAdapterFiles.read(dir)).hasMessageContaining("lora_A but no lora_B")
                .hasMessageContaining("model.layers.0.self_attn.q_proj");
        SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), List.of(TensorToWrite.ofFloats(
                "model.layers.0.self_attn.q_proj.lora_A.weight", new long[] {2, 8}, new float[16], DType.F32)));
        assertThatThrownBy(() -> PeftAdapterFiles.read(dir)).hasMessageContaining("does not start with \"base_model.model.\"");
    }

    @Test
    void theDirectoryIsWrittenWholeAndReplacedOnlyWhenAllowed(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("adapter");
        PeftAdapterFiles.write(twoModules(), dir, DType.F32, "first");
        assertThatThrownBy(() -> PeftAdapterFiles.write(twoModules(), dir, DType.F32, "second"))
                .isInstanceOf(ModelFileException.class).hasMessageContaining("already exists").hasMessageContaining("--force");
        assertThat(Files.readString(dir.resolve("adapter_config.json"))).contains("first");

        // A write that fails half-way (a saved tensor with fewer bytes than its shape) leaves the old directory as it
        // was and nothing else beside it.
        LoraAdapter good = twoModules();
        StoredTensor broken = new StoredTensor("model.norm.weight", DType.F32, new long[] {8},
                java.lang.foreign.MemorySegment.ofArray(new byte[12]));
        LoraAdapter bad = new LoraAdapter("t", 2, 8, false, good.targetModules(), good.modules(),
                Map.of("model.norm.weight", broken), List.of("norm"));
        assertThatThrownBy(() -> PeftAdapterFiles.write(bad, dir, DType.F32, "second", true)).isInstanceOf(Exception.class);
        assertThat(Files.readString(dir.resolve("adapter_config.json"))).contains("first");
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("adapter");
        }

        PeftAdapterFiles.write(good, dir, DType.F32, "second", true);
        assertThat(Files.readString(dir.resolve("adapter_config.json"))).contains("second");
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("adapter");
        }
        Path emptyDir = Files.createDirectory(tmp.resolve("empty")); // an empty directory is not an output to protect
        PeftAdapterFiles.write(good, emptyDir, DType.F32, null);
        assertThat(PeftAdapterFiles.read(emptyDir).modules()).hasSize(2);
    }

    @Test
    void modulesToSaveKeepTheirConfigNamesAndPeftKeys(@TempDir Path tmp) throws Exception {
        LoraAdapter good = twoModules();
        float[] norm = {1, 2, 3, 4, 5, 6, 7, 8};
        StoredTensor t = new StoredTensor("model.layers.0.input_layernorm.weight", DType.F32, new long[] {8},
                java.lang.foreign.MemorySegment.ofArray(norm));
        LoraAdapter a = new LoraAdapter("t", 2, 8, false, good.targetModules(), good.modules(),
                Map.of(t.name(), t), List.of("input_layernorm"));
        PeftAdapterFiles.write(a, tmp, DType.F16, null);
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            StoredTensor saved = f.tensor("base_model.model.model.layers.0.input_layernorm.weight");
            assertThat(saved.dtype()).isEqualTo(DType.F32); // trained copies keep their precision
        }
        assertThat(Files.readString(tmp.resolve("adapter_config.json"))).contains("\"modules_to_save\" : [ \"input_layernorm\" ]");
        LoraAdapter back = PeftAdapterFiles.read(tmp);
        assertThat(back.modulesToSave()).containsExactly("input_layernorm");
        assertThat(back.savedTensors()).containsOnlyKeys("model.layers.0.input_layernorm.weight");
    }
}
