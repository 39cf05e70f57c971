package dev.slmops.cli;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.format.peft.PeftAdapterFiles;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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

    /** quantize --adapter is merge then quantize in one run: the same tensors as the two commands, a file llama.cpp loads. */
    @Test
    void quantizeWithAnAdapterIsMergeThenQuantize(@TempDir Path tmp) throws Exception {
        Path hf = tmp.resolve("tiny");
        assertThat(run("init", "--shape", "tiny-llama", "--dtype", "f32", "-o", hf.toString()).exit()).isZero();
        Path peft = tmp.resolve("adapter");
        try (ModelFiles f = ModelFiles.open(hf)) {
            PeftAdapterFiles.write(LoraAdapter.init("a", f.config(), List.of("q_proj", "v_proj"), 4, 8, false, 1, 0.05),
                    peft, DType.F32, hf.toString());
        }
        Path oneRun = tmp.resolve("one-run-q8_0.gguf");
        Run q = run("quantize", "-m", hf.toString(), "--adapter", peft.toString(), "--type", "q8_0", "-o", oneRun.toString());
        assertThat(q.exit()).as(q.err()).isZero();

        Path merged = tmp.resolve("merged-f32.gguf"), twoRuns = tmp.resolve("two-runs-q8_0.gguf"), plain = tmp.resolve("plain-q8_0.gguf");
        assertThat(run("merge", "-m", hf.toString(), "-a", peft.toString(), "--dtype", "f32", "-o", merged.toString()).exit()).isZero();
        assertThat(run("quantize", "-m", merged.toString(), "--type", "q8_0", "-o", twoRuns.toString()).exit()).isZero();
        assertThat(run("quantize", "-m", hf.toString(), "--type", "q8_0", "-o", plain.toString()).exit()).isZero();

        try (GgufFile a = GgufFile.open(oneRun); GgufFile b = GgufFile.open(twoRuns); GgufFile c = GgufFile.open(plain)) {
            assertThat(a.tensors()).hasSameSizeAs(b.tensors());
            for (StoredTensor t : a.tensors()) {
                StoredTensor u = b.tensor(t.name());
                assertThat(u.data().mismatch(t.data())).as(t.name()).isEqualTo(-1);
            }
            // the adapter really changed q and v, and nothing else
            assertThat(c.tensor("blk.0.attn_q.weight").data().mismatch(a.tensor("blk.0.attn_q.weight").data())).isNotEqualTo(-1);
            assertThat(c.tensor("blk.0.attn_k.weight").data().mismatch(a.tensor("blk.0.attn_k.weight").data())).isEqualTo(-1);
        }
        try (LlamaCpp.Model m = LlamaCpp.load(oneRun)) {
            assertThat(m.nVocab()).isEqualTo(512);
        }
        try (var left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("."));
        }
        Run missing = run("quantize", "-m", hf.toString(), "--adapter", tmp.resolve("nope").toString(), "--type", "q8_0",
                "-o", tmp.resolve("x.gguf").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("adapter not found").contains("nope").doesNotContain("\tat ");
        assertThat(tmp.resolve("x.gguf")).doesNotExist();
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CliTest.Run r = CliTest.run(args);
        return new Run(r.exit(), r.out(), r.err());
    }
}
