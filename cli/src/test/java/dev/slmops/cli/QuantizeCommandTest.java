package dev.slmops.cli;

import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** slmops imatrix and slmops quantize as a user runs them, from a Hugging Face directory to a file llama.cpp loads. */
class QuantizeCommandTest {

    @Test
    void imatrixThenQuantizeAHfDirectoryToAFileLlamaCppLoads(@TempDir Path tmp) throws Exception {
        Path hf = tmp.resolve("tiny");
        assertThat(run("init", "--shape", "tiny-llama", "--dtype", "bf16", "-o", hf.toString()).exit()).isZero();
        Path text = Files.writeString(tmp.resolve("calib.txt"), "The quick brown fox jumps over the lazy dog. ".repeat(40));
        Path im = tmp.resolve("imatrix.gguf");
        Run imatrix = run("imatrix", "-m", hf.toString(), "--data", text.toString(), "--ctx", "32", "-o", im.toString());
        assertThat(imatrix.exit()).as(imatrix.err()).isZero();
        assertThat(im).exists();

        Path out = tmp.resolve("tiny-q4_k_m.gguf");
        Run q = run("quantize", "-m", hf.toString(), "--type", "q4_k_m", "--imatrix", im.toString(), "-o", out.toString());
        assertThat(q.exit()).as(q.err()).isZero();
        assertThat(q.out().trim()).isEqualTo(out.toAbsolutePath().toString());
        try (LlamaCpp.Model m = LlamaCpp.load(out)) {
            assertThat(m.nVocab()).isEqualTo(512);
        }
        assertThat(tmp.resolve(".tiny-q4_k_m.gguf.source-f32.gguf")).doesNotExist();

        Run again = run("quantize", "-m", hf.toString(), "--type", "q8_0", "-o", out.toString());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("already exists; pass --force");

        Run bad = run("quantize", "-m", hf.toString(), "--type", "q4_k_z", "-o", tmp.resolve("x.gguf").toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("unsupported quantization type \"q4_k_z\"").contains("q4_k_m").contains("q8_0");
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CliTest.Run r = CliTest.run(args);
        return new Run(r.exit(), r.out(), r.err());
    }
}
