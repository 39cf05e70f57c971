package dev.slmops.workflows.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.ProjectFiles;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Export directories as the target runtimes read them, from a tiny Qwen3-shaped model with a trained tokenizer and
 * a ChatML chat template (real Qwen3 / Llama 3 templates are checked in OllamaTemplateParityTest).
 */
class ModelExportTest {
    @TempDir
    static Path shared;
    static Path qwen;

    @BeforeAll
    static void tinyQwen3() throws Exception {
        qwen = TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig("tiny-qwen3"), DType.F16, 1, 0),
                null, shared.resolve("qwen3-tiny"), false);
    }

    @Test
    void ollamaDirectoryHasAGgufLlamaCppLoadsAndAModelfileWithChatMlTemplateAndStops(@TempDir Path tmp) throws Exception {
        Path adapter = tmp.resolve("lora.gguf");
        Files.write(adapter, new byte[]{'G', 'G', 'U', 'F', 3, 0, 0, 0}); // only the magic is checked
        ModelExport.Result r = ModelExport.export(qwen, tmp.resolve("out"),
                new ModelExport.Request(ExportFormat.OLLAMA, null, adapter, "qwen-tiny", false), w -> { });
        assertThat(r.files()).containsExactlyInAnyOrder(Path.of("Modelfile"), Path.of("model.gguf"), Path.of("adapter.gguf"));
        List<String[]> lines = new ArrayList<>();
        String modelfile = Files.readString(r.output().resolve("Modelfile"));
        for (String line : modelfile.split("\n")) if (line.matches("[A-Z]+ .*")) lines.add(line.split(" ", 2));
        assertThat(lines).anySatisfy(l -> assertThat(l).containsExactly("FROM", "./model.gguf"));
        assertThat(lines).anySatisfy(l -> assertThat(l).containsExactly("ADAPTER", "./adapter.gguf"));
        assertThat(lines).anySatisfy(l -> assertThat(l).containsExactly("PARAMETER", "stop \"<|im_end|>\""));
        String template = modelfile.substring(modelfile.indexOf("TEMPLATE \"\"\"") + 12);
        template = template.substring(0, template.indexOf("\"\"\""));
        assertThat(template).isEqualTo(ChatFamily.CHATML.goTemplate);
        try (LlamaCpp.Model m = LlamaCpp.load(r.output().resolve("model.gguf"))) {
            assertThat(m.nVocab()).isEqualTo(512);
        }
        assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("ChatML"));
    }

    @Test
    void foundryLocalDirectoryHasInferenceModelJsonAndSaysOnnxIsNotProduced(@TempDir Path tmp) throws Exception {
        ModelExport.Result r = ModelExport.export(qwen, tmp.resolve("qwen-tiny-foundry"),
                new ModelExport.Request(ExportFormat.FOUNDRY_LOCAL, null, null, null, false), w -> { });
        JsonNode json = JsonFiles.read(r.output().resolve("inference_model.json"));
        assertThat(json.get("Name").asText()).isEqualTo("qwen-tiny-foundry");
        assertThat(json.get("Version").asText()).isEqualTo("1");
        JsonNode pt = json.get("PromptTemplate");
        assertThat(pt.get("prompt").asText()).isEqualTo("<|im_start|>user\n{Content}<|im_end|>\n<|im_start|>assistant\n");
        for (String k : List.of("system", "user", "assistant")) assertThat(pt.get(k).asText()).contains("{Content}");
        assertThat(json.get("ModelConfig").get("architecture").asText()).isEqualTo("qwen3");
        assertThat(r.files()).contains(Path.of("config.json"), Path.of("tokenizer.json"), Path.of("tokenizer_config.json"),
                Path.of("FOUNDRY_LOCAL.md"));
        assertThat(Files.readString(r.output().resolve("FOUNDRY_LOCAL.md"))).contains("Not produced: the ONNX Runtime GenAI files");
        assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("ONNX Runtime files").contains("NOT produced"));
        try (ModelFiles files = ModelFiles.open(r.output())) {
            assertThat(files.config().vocabSize()).isEqualTo(512);
        }
    }

    @Test
    void safetensorsDirectoryReloadsWithTheSameTokenizer(@TempDir Path tmp) throws Exception {
        ModelExport.Result r = ModelExport.export(qwen, tmp.resolve("hf"),
                new ModelExport.Request(ExportFormat.SAFETENSORS, DType.BF16, null, null, false), w -> { });
        try (ModelFiles a = ModelFiles.open(qwen); ModelFiles b = ModelFiles.open(r.output())) {
            String text = "Hello <|im_start|>user\nhi<|im_end|>";
            assertThat(b.tokenizer().encode(text)).containsExactly(a.tokenizer().encode(text));
            assertThat(b.storedTensors()).allSatisfy(t -> assertThat(t.dtype()).isIn(DType.BF16, DType.F32));
        }
    }

    @Test
    void ggufSourceIsCopiedAsItIsForGgufAndOllama(@TempDir Path tmp) throws Exception {
        Path asset = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        ModelExport.Result r = ModelExport.export(asset, tmp.resolve("o"),
                new ModelExport.Request(ExportFormat.GGUF, null, null, null, false), w -> { });
        assertThat(r.files()).containsExactly(Path.of("model.gguf"));
        assertThat(Files.mismatch(asset, r.output().resolve("model.gguf"))).isEqualTo(-1);
    }

    @Test
    void existingOutputNeedsForceAndAFailedExportLeavesNothingBehind(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "x");
        var req = new ModelExport.Request(ExportFormat.GGUF, DType.F32, null, null, false);
        assertThatThrownBy(() -> ModelExport.export(qwen, out, req, w -> { }))
                .hasMessageContaining("already exists; pass --force");
        assertThatThrownBy(() -> ModelExport.export(tmp.resolve("no-such-model"), out,
                new ModelExport.Request(ExportFormat.GGUF, DType.F32, null, null, true), w -> { }));
        assertThat(out.resolve("keep.txt")).exists();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("out");
        }
        assertThatThrownBy(() -> ModelExport.export(qwen, tmp.resolve("x"),
                new ModelExport.Request(ExportFormat.GGUF, null, tmp.resolve("a.safetensors"), null, false), w -> { }))
                .hasMessageContaining("slmops merge");
        assertThatThrownBy(() -> ExportFormat.parse("onnx")).hasMessageContaining("gguf, safetensors, ollama, foundry-local");
        ModelExport.export(qwen, out, new ModelExport.Request(ExportFormat.GGUF, DType.F32, null, null, true), w -> { });
        assertThat(out.resolve("keep.txt")).doesNotExist();
        assertThat(out.resolve("model.gguf")).exists();
    }
}
