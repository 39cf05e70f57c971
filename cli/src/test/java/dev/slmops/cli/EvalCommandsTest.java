package dev.slmops.cli;

import dev.slmops.model.tokenizer.train.BuiltinCorpus;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.slmops.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** perplexity, compare and its gates as a pipeline runs them: output, exit codes, the reusable base logits file. */
class EvalCommandsTest {

    @Test
    void perplexityCompareAndGates(@TempDir Path tmp) throws Exception {
        Path hf = tmp.resolve("tiny");
        assertThat(run("init", "--shape", "tiny-llama", "--dtype", "f32", "-o", hf.toString()).exit()).isZero();
        Path f32 = tmp.resolve("f32.gguf"), q4 = tmp.resolve("q4_0.gguf");
        assertThat(run("convert", "-m", hf.toString(), "--to", "gguf", "--dtype", "f32", "-o", f32.toString()).exit()).isZero();
        LlamaCpp.quantize(f32, q4, LlamaCpp.FTYPE_MOSTLY_Q4_0, 2);
        Path text = tmp.resolve("text.txt");
        Files.writeString(text, String.join("\n\n", BuiltinCorpus.documents(7, 3000)));

        CliTest.Run ppl = run("perplexity", "-m", f32.toString(), "-f", text.toString(), "--ctx", "64", "--chunks", "3");
        assertThat(ppl.exit()).as(ppl.err()).isZero();
        assertThat(ppl.out()).containsPattern("\\[1\\][0-9.]+,\\[2\\][0-9.]+,\\[3\\][0-9.]+,")
                .containsPattern("Final estimate: PPL = [0-9.]+ \\+/- [0-9.]+");

        Path logits = tmp.resolve("base.logits");
        CliTest.Run cmp = run("compare", "--base", f32.toString(), "-m", q4.toString(), "-f", text.toString(),
                "--ctx", "64", "--chunks", "3", "--save-base-logits", logits.toString());
        assertThat(cmp.exit()).as(cmp.err()).isZero();
        assertThat(cmp.out()).contains("PPL(base)", "PPL(model)", "Mean    KLD:", "Median  KLD:", "99.0%   KLD:",
                "Maximum KLD:", "Same top p:", "99.0%   Δp:");
        assertThat(logits).isRegularFile();

        CliTest.Run failing = run("compare", "--base-logits", logits.toString(), "-m", q4.toString(),
                "--ctx", "64", "--max-kld", "1e-9", "--min-top1", "100");
        assertThat(failing.exit()).isEqualTo(EvalCliSupport.GATE_FAILED);
        assertThat(failing.err()).contains("quality gate failed: mean KLD", "exceeds --max-kld 1.0E-9")
                .contains("quality gate failed: same top-1 token");

        CliTest.Run passing = run("compare", "--base-logits", logits.toString(), "-m", q4.toString(),
                "--ctx", "64", "--max-kld", "10", "--max-ppl-increase", "50");
        assertThat(passing.exit()).as(passing.err()).isZero();
        assertThat(passing.out()).contains("quality gates: passed");

        CliTest.Run exists = run("compare", "--base", f32.toString(), "-m", q4.toString(), "-f", text.toString(),
                "--save-base-logits", logits.toString());
        assertThat(exists.exit()).isEqualTo(2);
        assertThat(exists.err()).contains("already exists; pass --force");
    }

    @Test
    void tooLittleTextAndBadFilesAreClearErrors(@TempDir Path tmp) throws Exception {
        Path hf = tmp.resolve("tiny");
        assertThat(run("init", "--shape", "tiny-llama", "--dtype", "f32", "-o", hf.toString()).exit()).isZero();
        Path text = tmp.resolve("short.txt");
        Files.writeString(text, "Only a few words.");
        CliTest.Run r = run("perplexity", "-m", hf.toString(), "-f", text.toString(), "--ctx", "64");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("tokenizes to only", "needs at least 128");

        Path longText = tmp.resolve("long.txt");
        Files.writeString(longText, String.join("\n\n", BuiltinCorpus.documents(7, 3000)));
        CliTest.Run otherTokenizer = run("compare", "--base", hf.toString(), "-f", longText.toString(), "--ctx", "64",
                "-m", dev.slmops.testkit.ProjectFiles.sharedAsset("llama-2-tiny-random.gguf").toString());
        assertThat(otherTokenizer.exit()).isEqualTo(2);
        assertThat(otherTokenizer.err()).contains("tokenizes the text differently from the base model");

        Path notLogits = tmp.resolve("x.bin");
        Files.writeString(notLogits, "not a logits file at all");
        CliTest.Run bad = run("compare", "--base-logits", notLogits.toString(), "-m", hf.toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("is not a base logits file");
    }
}
