package dev.slmops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.train.loop.MetricsLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.slmops.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** slmops finetune end to end over a stand-in engine: recipe + flags, outputs, resume, and every kind of bad input. */
class FinetuneCommandTest {
    final ByteBigramBackend engine = new ByteBigramBackend();

    @AfterEach
    void restore() {
        FinetuneCommand.backend = null;
    }

    static Path data(Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        String[] words = {"the cat sat on the mat", "a dog ran in the fog", "the sun is hot and red"};
        for (int i = 0; i < 60; i++) lines.add("{\"text\": \"" + words[i % 3] + " " + i + "\"}");
        Path p = dir.resolve("train.jsonl");
        Files.write(p, lines);
        Files.createDirectories(dir.resolve("model"));
        return p;
    }

    @Test
    void recipeAndFlagsTrainWriteOutputsAndResume(@TempDir Path tmp) throws Exception {
        FinetuneCommand.backend = engine;
        Path train = data(tmp);
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, """
                model: %s
                data: %s
                method: lora
                lora_r: 8
                grad_checkpointing: true
                completion-only-loss: false
                target-modules: [q_proj, v_proj]
                lr: 0.5
                max-steps: 30
                batch-size: 4
                grad-accum: 2
                scheduler: cosine
                warmup: 0.1
                eval-split: "10%%"
                eval-steps: 4
                save-steps: 4
                """.formatted(tmp.resolve("model"), train));
        Path out = tmp.resolve("out");
        CliTest.Run r = run("finetune", "--config", recipe.toString(), "--max-steps", "12", "-o", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().trim()).isEqualTo(out.resolve("bigram.bin").toString());
        assertThat(engine.lastSpec.loraR()).isEqualTo(8);
        assertThat(engine.lastSpec.targetModules()).containsExactly("q_proj", "v_proj");
        assertThat(engine.lastSpec.gradCheckpointing()).isTrue();
        assertThat(engine.lastSpec.completionOnlyLoss()).isFalse();
        List<JsonNode> metrics = MetricsLog.read(out.resolve("metrics.jsonl"));
        List<JsonNode> train12 = metrics.stream().filter(j -> j.has("loss")).toList();
        assertThat(train12).hasSize(12); // the flag won over the recipe's 30
        assertThat(train12.getLast().get("loss").asDouble()).isLessThan(train12.getFirst().get("loss").asDouble() * 0.7);
        assertThat(metrics.stream().filter(j -> j.has("eval_perplexity")).count()).isEqualTo(3);
        assertThat(out.resolve("loss.svg")).exists();
        assertThat(out.resolve("checkpoint-12")).isDirectory();
        assertThat(out.resolve("best-model")).isDirectory();

        CliTest.Run again = run("finetune", "--config", recipe.toString(), "--max-steps", "12", "-o", out.toString());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("already holds checkpoints of a run: pass --resume");
        CliTest.Run resumed = run("finetune", "--config", recipe.toString(), "--max-steps", "16", "-o", out.toString(), "--resume");
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("warning: the settings changed"); // 16 steps instead of 12: another schedule
        assertThat(MetricsLog.read(out.resolve("metrics.jsonl")).stream().filter(j -> j.has("loss")).count()).isEqualTo(16);
    }

    @Test
    void aRecipeOfAdapterJobsRunsEachOnOneBackendAndReportsAFailureWithoutLosingTheOthers(@TempDir Path tmp) throws Exception {
        FinetuneCommand.backend = engine;
        Path train = data(tmp);
        Path recipe = tmp.resolve("jobs.yaml");
        Files.writeString(recipe, """
                model: %s
                method: qlora
                output: %s
                data: %s
                lora-r: 4
                max-steps: 3
                batch-size: 4
                adapters:
                  - name: first
                    lora-r: 8
                    target-modules: [q_proj]
                  - name: broken
                    data: %s
                  - name: third
                    modules_to_save: [lm_head]
                    output: %s
                """.formatted(tmp.resolve("model"), tmp.resolve("runs"), train, tmp.resolve("missing.jsonl"), tmp.resolve("elsewhere")));
        List<FinetuneSpec> specs = new ArrayList<>();
        FinetuneCommand.backend = new FinetuneBackend() { // the bigram engine, recording each job's spec
            public dev.slmops.train.Trainable load(FinetuneSpec s) {
                specs.add(s);
                return engine.load(s);
            }

            public List<dev.slmops.train.Example> readData(Path j, FinetuneSpec s, dev.slmops.train.Trainable m) throws java.io.IOException {
                return engine.readData(j, s, m);
            }

            public List<Path> saveOutputs(dev.slmops.train.Trainable m, FinetuneSpec s, Path o) throws java.io.IOException {
                return engine.saveOutputs(m, s, o);
            }
        };
        CliTest.Run r = run("finetune", "--config", recipe.toString(), "--lora-r", "16", "--lora-alpha", "8");
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("error: adapter job broken failed: --data " + tmp.resolve("missing.jsonl") + ": no such file")
                .containsPattern("first +done").containsPattern("broken +FAILED").containsPattern("third +done")
                .doesNotContain("\tat ");
        assertThat(tmp.resolve("runs/first/bigram.bin")).isRegularFile();
        assertThat(tmp.resolve("elsewhere/bigram.bin")).isRegularFile();
        assertThat(tmp.resolve("runs/broken")).doesNotExist();
        assertThat(specs).hasSize(2);
        // a job's keys win over the command line, which wins over the top level; lists are replaced, not added to
        assertThat(specs.get(0).loraR()).isEqualTo(8);
        assertThat(specs.get(0).targetModules()).containsExactly("q_proj");
        assertThat(specs.get(1).loraR()).isEqualTo(16);
        assertThat(specs.get(1).loraAlpha()).isEqualTo(8);
        assertThat(specs.get(1).modulesToSave()).containsExactly("lm_head");
        assertThat(specs).allSatisfy(s -> assertThat(s.method()).isEqualTo("qlora"));

        // --resume continues the recipe: finished jobs resume at their end (nothing to train), the failed one starts
        Files.writeString(recipe, Files.readString(recipe).replace(tmp.resolve("missing.jsonl").toString(), train.toString()));
        CliTest.Run resumed = run("finetune", "--config", recipe.toString(), "--resume");
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(tmp.resolve("runs/broken/bigram.bin")).isRegularFile();

        expectError("in a recipe of adapters --resume continues each job", "--config", recipe.toString(), "--resume", "x");
        Files.writeString(recipe, "model: m\nadapters:\n  - name: a\n    method: lora\n");
        expectError("job 'a' sets 'method', which all jobs share", "--config", recipe.toString());
        Files.writeString(recipe, "model: m\nadapters:\n  - data: x\n");
        expectError("adapters[0] needs a name", "--config", recipe.toString());
        Files.writeString(recipe, "model: m\nadapters:\n  - name: a\n  - name: a\n");
        expectError("two jobs are named 'a'", "--config", recipe.toString());
    }

    @Test
    void ctrlCWritesACheckpointBeforeTheProcessExits(@TempDir Path tmp) throws Exception {
        Path train = data(tmp), out = tmp.resolve("out");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), FinetuneProcess.class.getName(), "finetune",
                "--model", tmp.resolve("model").toString(), "--data", train.toString(), "-o", out.toString(),
                "--max-steps", "100000", "--batch-size", "2", "--save-steps", "0", "--lr", "0.1")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("log.txt").toFile()).start();
        Path metrics = out.resolve("metrics.jsonl");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (p.isAlive() && System.nanoTime() < deadline && (!Files.exists(metrics) || Files.size(metrics) < 2000)) Thread.sleep(100);
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        String log = Files.readString(tmp.resolve("log.txt"));
        assertThat(log).contains("on request;").contains("(--resume)");
        var ckpt = dev.slmops.train.checkpoint.CheckpointStore.latest(out).orElseThrow();
        long step = dev.slmops.train.checkpoint.CheckpointStore.load(ckpt).state().globalStep();
        assertThat(step).isGreaterThan(0).isLessThan(100000);
    }

    @Test
    void trainAndValidationSlicesOfOneFile(@TempDir Path tmp) throws Exception {
        FinetuneCommand.backend = engine;
        Path train = data(tmp);
        CliTest.Run r = run("finetune", "--model", tmp.resolve("model").toString(), "--data", train.toString(),
                "-o", tmp.resolve("o").toString(), "--train-split", "train[:40]", "--eval-split", "train[40:50]",
                "--max-steps", "2", "--skip-bad-records");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("40 training and 10 validation examples");
        assertThat(engine.lastSpec.skipBadRecords()).isTrue();
    }

    @Test
    void badInputGetsOneClearLine(@TempDir Path tmp) throws Exception {
        FinetuneCommand.backend = engine;
        Path train = data(tmp);
        String m = tmp.resolve("model").toString(), d = train.toString(), o = tmp.resolve("o").toString();
        expectError("--method foo: expected full, lora or qlora", "--model", m, "--data", d, "-o", o, "--method", "foo");
        expectError("--lora-dropout must be in [0, 1)", "--model", m, "--data", d, "-o", o, "--lora-dropout", "1.5");
        expectError("unknown module 'bogus'", "--model", m, "--data", d, "-o", o, "--target-modules", "q_proj,bogus");
        expectError("unknown scheduler 'cosine_with_restarts'", "--model", m, "--data", d, "-o", o, "--scheduler", "cosine_with_restarts");
        expectError("--eval-steps needs validation data", "--model", m, "--data", d, "-o", o, "--eval-steps", "5");
        expectError("--data " + tmp.resolve("none.jsonl") + ": no such file", "--model", m, "--data", tmp.resolve("none.jsonl").toString(), "-o", o);
        expectError("--grad-accum must be >= 1, got 0", "--model", m, "--data", d, "-o", o, "--grad-accum", "0");
        expectError("--warmup 'ten': expected steps", "--model", m, "--data", d, "-o", o, "--warmup", "ten");
        expectError("--resume: no checkpoint-<step> directory", "--model", m, "--data", d, "-o", o, "--resume");
        expectError("--model is required", "--data", d, "-o", o);
        expectError("overlap (examples 50..54 of 60)", "--model", m, "--data", d, "-o", o,
                "--train-split", "train[:55]", "--eval-split", "train[50:]");
        expectError("--train-split '0.5' must be a slice", "--model", m, "--data", d, "-o", o, "--train-split", "0.5");
        expectError(tmp.resolve("nomodel").toString(), "--model", tmp.resolve("nomodel").toString(), "--data", d, "-o", o);
        Path recipe = tmp.resolve("bad.yaml");
        Files.writeString(recipe, "learning_rat: 0.1\n");
        expectError("unknown key 'learning_rat'", "--config", recipe.toString());
        Files.writeString(recipe, "lora-r: [1: 2\n");
        expectError("is not valid YAML", "--config", recipe.toString());
        FinetuneCommand.backend = FinetuneBackend.NOT_AVAILABLE;
        expectError("not part of this build yet", "--model", m, "--data", d, "-o", o);
    }

    static void expectError(String message, String... args) {
        String[] full = new String[args.length + 1];
        full[0] = "finetune";
        System.arraycopy(args, 0, full, 1, args.length);
        CliTest.Run r = run(full);
        assertThat(r.exit()).as("exit of %s: %s", String.join(" ", args), r.err()).isEqualTo(2);
        assertThat(r.err()).contains(message).doesNotContain("\tat ");
    }
}
