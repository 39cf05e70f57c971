package dev.slmops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.slmops.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** slmops eval on the committed shift task: a random model cannot do it; the output, the JSON and bad input. */
class TaskEvalCommandTest {
    @TempDir
    static Path tmp;
    static Path model;
    static final Path SHIFT_TEST = ProjectFiles.root()
            .resolve("train/src/main/resources/dev/slmops/train/data/samples/shift-test.jsonl");

    @BeforeAll
    static void init() {
        model = tmp.resolve("tiny");
        CliTest.Run r = run("init", "--shape", "tiny-llama", "--dtype", "f32", "-o", model.toString());
        assertThat(r.exit()).as(r.err()).isZero();
    }

    @Test
    void aRandomModelFailsTheShiftTask() {
        CliTest.Run r = run("eval", "-m", model.toString(), "--data", SHIFT_TEST.toString(), "--limit", "24",
                "--max-tokens", "8", "--batch", "8", "--show-failures", "3");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("accuracy 0\\.0\\d{3} \\(\\d+/24, 95% CI 0\\.0000-0\\.\\d{4}, exact\\)")
                .contains("failures (3 of ").contains("line 1: \"shift: n w o q =\" -> expected \" o x p r\"");
    }

    @Test
    void jsonOutput() throws Exception {
        CliTest.Run r = run("eval", "-m", model.toString(), "--data", SHIFT_TEST.toString(), "--limit", "10",
                "--max-tokens", "6", "--metric", "contains", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode j = JsonFiles.mapper().readTree(r.out());
        assertThat(j.get("count").asInt()).isEqualTo(10);
        assertThat(j.get("metric").asText()).isEqualTo("contains");
        assertThat(j.get("accuracy").asDouble()).isCloseTo(j.get("correct").asInt() / 10.0, within(1e-12));
        assertThat(j.get("ci95")).hasSize(2);
        assertThat(j.get("failures").size()).isLessThanOrEqualTo(5);
    }

    @Test
    void badInputIsAClearError() throws Exception {
        Path text = tmp.resolve("text.jsonl");
        Files.writeString(text, "{\"text\": \"nothing to answer\"}\n");
        CliTest.Run r = run("eval", "-m", model.toString(), "--data", text.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("text.jsonl:1").contains("no answer to score");

        CliTest.Run metric = run("eval", "-m", model.toString(), "--data", SHIFT_TEST.toString(), "--metric", "fuzzy");
        assertThat(metric.exit()).isEqualTo(2);
        assertThat(metric.err()).contains("exact, prefix or contains");

        CliTest.Run missing = run("eval", "-m", model.toString(), "--data", tmp.resolve("none.jsonl").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("none.jsonl").contains("does not exist");
    }
}
