package dev.slmops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The commands end to end, as a user runs them: init, inspect, convert (both ways), generate, and bad input. */
class CliTest {

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        System.setOut(ps);
        cl.setOut(new PrintWriter(ps, true));
        try {
            int exit = cl.execute(args);
            cl.getOut().flush();
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    @Test
    void initInspectConvertAndGenerate(@TempDir Path tmp) throws Exception {
        Path hf = tmp.resolve("tiny");
        assertThat(run("init", "--shape", "tiny-qwen3", "--dtype", "f32", "-o", hf.toString()).exit()).isZero();

        Run inspect = run("inspect", "--json", hf.toString());
        assertThat(inspect.exit()).isZero();
        JsonNode report = new ObjectMapper().readTree(inspect.out());
        assertThat(report.get("architecture").asText()).isEqualTo("qwen3");
        assertThat(report.get("hyper").get("vocabSize").asInt()).isEqualTo(512);
        assertThat(report.get("tokenizer").get("kind").asText()).isEqualTo("bpe-bytelevel");
        assertThat(report.get("chatTemplate").asText()).isEqualTo("tokenizer_config.json");

        Path gguf = tmp.resolve("tiny.gguf");
        assertThat(run("convert", "-m", hf.toString(), "--to", "gguf", "--dtype", "f16", "-o", gguf.toString()).exit()).isZero();
        try (LlamaCpp.Model m = LlamaCpp.load(gguf)) { // a file llama.cpp accepts
            assertThat(m.nVocab()).isEqualTo(512);
            assertThat(m.metaString("general.architecture")).isEqualTo("qwen3");
        }
        assertThat(run("inspect", gguf.toString()).out()).contains("architecture   qwen3").contains("F16");

        Run again = run("convert", "-m", hf.toString(), "--to", "gguf", "-o", gguf.toString());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("already exists; pass --force");

        Run gen = run("generate", "-m", gguf.toString(), "-p", "Hello there", "-n", "8", "--temp", "0");
        assertThat(gen.exit()).isZero();
        // the prompt from a file, as llama-cli's -f: the same greedy text
        Path promptFile = tmp.resolve("prompt.txt");
        Files.writeString(promptFile, "Hello there");
        Run fromFile = run("generate", "-m", gguf.toString(), "-f", promptFile.toString(), "-n", "8", "--temp", "0");
        assertThat(fromFile.exit()).isZero();
        assertThat(fromFile.out()).isEqualTo(gen.out());

        // a system message (llama-cli's -sys) goes through the chat template before the prompt
        Run withSystem = run("generate", "-m", gguf.toString(), "-sys", "Be brief.", "-p", "Hello there", "-n", "8",
                "--temp", "0", "--logprobs", "0");
        Run chatOnly = run("generate", "-m", gguf.toString(), "--chat", "-p", "Hello there", "-n", "8", "--temp", "0",
                "--logprobs", "0");
        assertThat(withSystem.exit()).isZero();
        assertThat(chatOnly.exit()).isZero();
        assertThat(withSystem.out()).as("the system message changes what the model reads").isNotEqualTo(chatOnly.out());

        // structured output as llama-cli's -j / -jf: even a random model answers with JSON the schema accepts
        String schema = "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"],"
                + "\"additionalProperties\":false}";
        Run json = run("generate", "-m", gguf.toString(), "-p", "Answer:", "-j", schema, "-n", "200", "--temp", "0");
        assertThat(json.exit()).as(json.err()).isZero();
        JsonNode answer = new ObjectMapper().readTree(json.out());
        assertThat(answer.get("ok").isBoolean()).as(json.out()).isTrue();
        assertThat(answer.size()).isEqualTo(1);
        Path schemaFile = tmp.resolve("schema.json");
        Files.writeString(schemaFile, schema);
        assertThat(run("generate", "-m", gguf.toString(), "-p", "Answer:", "-jf", schemaFile.toString(), "-n", "200",
                "--temp", "0").out()).isEqualTo(json.out());
        Run notJson = run("generate", "-m", gguf.toString(), "-p", "Hi", "-j", "{\"type\": obj");
        assertThat(notJson.exit()).isEqualTo(2);
        assertThat(notJson.err()).contains("the JSON schema is not valid JSON");
        Run twoSchemas = run("generate", "-m", gguf.toString(), "-p", "Hi", "-j", "{}", "-jf", schemaFile.toString());
        assertThat(twoSchemas.exit()).isEqualTo(2);
        assertThat(twoSchemas.err()).contains("not both");

        Run both = run("generate", "-m", gguf.toString(), "-p", "Hi", "-f", promptFile.toString());
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        Run neither = run("generate", "-m", gguf.toString());
        assertThat(neither.exit()).isEqualTo(2);
        assertThat(neither.err()).contains("--prompt").contains("--file");
        Run missing = run("generate", "-m", gguf.toString(), "-f", tmp.resolve("nope.txt").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("no such file or directory").contains("nope.txt");
        Path latin1 = tmp.resolve("latin1.txt");
        Files.write(latin1, new byte[]{'c', 'a', 'f', (byte) 0xE9});
        Run notUtf8 = run("generate", "-m", gguf.toString(), "-f", latin1.toString());
        assertThat(notUtf8.exit()).isEqualTo(2);
        assertThat(notUtf8.err()).contains("is not UTF-8 text");
    }

    @Test
    void badInputGetsOneClearLineAndExitCode2(@TempDir Path tmp) throws Exception {
        Path junk = tmp.resolve("junk.gguf");
        Files.write(junk, new byte[]{'G', 'G', 'U', 'X', 3, 0, 0, 0});
        Run r = run("inspect", junk.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("junk.gguf").doesNotContain("\tat ");

        Run noDir = run("inspect", tmp.resolve("missing").toString());
        assertThat(noDir.exit()).isEqualTo(2);
        assertThat(noDir.err()).contains("no such file or directory");

        Run emptyDir = run("inspect", tmp.toString());
        assertThat(emptyDir.exit()).isEqualTo(2);
        assertThat(emptyDir.err()).contains("has no config.json");

        Run badShape = run("init", "--shape", "nope", "-o", tmp.resolve("x").toString());
        assertThat(badShape.exit()).isEqualTo(2);
        assertThat(badShape.err()).contains("unknown shape \"nope\"").contains("smollm2-135m");
    }

    @Test
    void modelsByAliasAndTheCacheCommands(@TempDir Path tmp) throws Exception {
        String saved = System.getProperty("slmops.home");
        System.setProperty("slmops.home", tmp.resolve("home").toString());
        try {
            Path hf = tmp.resolve("tiny");
            assertThat(run("init", "--shape", "tiny-llama", "--dtype", "f32", "-o", hf.toString()).exit()).isZero();
            assertThat(run("cache", "pwd").out().strip()).isEqualTo(tmp.resolve("home").toString());
            assertThat(run("model", "alias", "mine", hf.toString()).exit()).isZero();
            Run inspect = run("inspect", "mine");
            assertThat(inspect.exit()).isZero();
            assertThat(inspect.out()).contains("architecture   llama");
            assertThat(run("model", "list").out()).contains("mine");
            System.setProperty("slmops.offline", "true"); // a hub id not in the cache would be pulled otherwise
            Run notPulled;
            try {
                notPulled = run("inspect", "acme/not-pulled");
            } finally {
                System.clearProperty("slmops.offline");
            }
            assertThat(notPulled.exit()).isEqualTo(2);
            assertThat(notPulled.err()).contains("slmops model pull acme/not-pulled");
            Run offline = run("model", "pull", "--offline", "acme/not-pulled");
            assertThat(offline.exit()).isEqualTo(2);
            assertThat(offline.err()).contains("--offline");
            assertThat(run("model", "alias", "--delete", "mine").exit()).isZero();
            assertThat(run("inspect", "mine").err()).contains("no such file or directory");
        } finally {
            if (saved == null) System.clearProperty("slmops.home");
            else System.setProperty("slmops.home", saved);
        }
    }

    @Test
    void helpListsEveryCommand() {
        assertThat(Main.commandLine().getUsageMessage()).contains("inspect", "convert", "init", "generate", "chat", "bench", "model", "cache");
    }
}
