package dev.slmops.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.slmops.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** slmops export as a user runs it: the files it lists, the notes it gives, and the errors. */
class ExportCommandTest {

    @Test
    void exportToOllamaAndFoundryLocalThenRefuseToOverwrite(@TempDir Path tmp) throws Exception {
        Path hf = tmp.resolve("tiny");
        assertThat(run("init", "--shape", "tiny-qwen3", "--dtype", "f32", "-o", hf.toString()).exit()).isZero();

        Path ollama = tmp.resolve("ollama");
        CliTest.Run r = run("export", "-m", hf.toString(), "--format", "ollama", "-o", ollama.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains(ollama.resolve("Modelfile").toString(), ollama.resolve("model.gguf").toString());
        assertThat(Files.readString(ollama.resolve("Modelfile"))).contains("FROM ./model.gguf", "<|im_start|>");

        Path foundry = tmp.resolve("foundry");
        CliTest.Run f = run("export", "-m", hf.toString(), "--format", "foundry-local", "--dtype", "f32", "-o", foundry.toString());
        assertThat(f.exit()).as(f.err()).isZero();
        assertThat(foundry.resolve("inference_model.json")).isRegularFile();

        CliTest.Run again = run("export", "-m", hf.toString(), "--format", "ollama", "-o", ollama.toString());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("already exists; pass --force");

        CliTest.Run bad = run("export", "-m", hf.toString(), "--format", "onnx", "-o", tmp.resolve("x").toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("supported: gguf, safetensors, ollama, foundry-local");
    }
}
