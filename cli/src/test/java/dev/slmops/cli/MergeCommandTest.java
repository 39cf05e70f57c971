package dev.slmops.cli;

import dev.slmops.model.format.peft.PeftAdapterFiles;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code slmops merge} as a user runs it: PEFT adapter + HF model → GGUF llama.cpp loads; bad input, one line. */
class MergeCommandTest {
    @Test
    void mergesAPeftAdapterIntoAGguf(@TempDir Path tmp) throws Exception {
        Path hf = tmp.resolve("tiny");
        assertThat(CliTest.run("init", "--shape", "tiny-qwen3", "--dtype", "f32", "-o", hf.toString()).exit()).isZero();
        Path peft = tmp.resolve("adapter");
        try (ModelFiles f = ModelFiles.open(hf)) {
            PeftAdapterFiles.write(LoraAdapter.init("a", f.config(), List.of("q_proj", "v_proj"), 4, 8, false, 1, 0.05),
                    peft, DType.BF16, hf.toString());
        }
        Path out = tmp.resolve("merged.gguf");
        CliTest.Run r = CliTest.run("merge", "-m", hf.toString(), "-a", peft.toString(), "-o", out.toString(), "--dtype", "f16");
        assertThat(r.exit()).as(r.err()).isZero();
        try (LlamaCpp.Model m = LlamaCpp.load(out)) {
            assertThat(m.metaString("general.architecture")).isEqualTo("qwen3");
        }
        CliTest.Run bad = CliTest.run("merge", "-m", hf.toString(), "-a", tmp.resolve("nope").toString(), "-o",
                tmp.resolve("x").toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("nope").contains("PEFT adapter directory or a GGUF LoRA file").doesNotContain("\tat ");
    }
}
