package dev.slmops.testkit.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

/**
 * LlamaBench runs llama-bench's pp and tg tests through llama.cpp and prints the report in the agreed JSON
 * schema. Run tiny here (p=16, n=4, r=1..2): this proves the shape and the bookkeeping, not a speed.
 */
class LlamaBenchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LlamaBench.Options tiny(int reps) {
        return LlamaBench.Options.defaults().withTokens(16, 4, reps);
    }

    @Test
    void tinyRunPrintsTheAgreedJsonSchema() throws Exception {
        Path gguf = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        BenchReport report = LlamaBench.run(gguf, tiny(1));
        JsonNode json = JSON.readTree(report.toJson());

        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).startsWith("tool", "model", "type", "model_bytes", "params", "threads", "tests",
                "peak_rss_bytes", "rss_growth_bytes");
        assertThat(json.get("tool").asText()).isEqualTo("llama.cpp");
        assertThat(json.get("model").asText()).isEqualTo(gguf.toAbsolutePath().toString());
        assertThat(json.get("type").asText()).isEqualTo("F16"); // written by llama.cpp's converter as F16
        assertThat(json.get("threads").asInt()).isEqualTo(2);
        try (LlamaCpp.Model model = LlamaCpp.load(gguf)) {
            assertThat(json.get("params").asLong()).isEqualTo(model.nParams());
            assertThat(json.get("model_bytes").asLong()).isEqualTo(model.sizeBytes());
        }

        JsonNode tests = json.get("tests");
        assertThat(tests).hasSize(2);
        assertTest(tests.get(0), "pp16", 16, 0, 1);
        assertTest(tests.get(1), "tg4", 0, 4, 1);

        long peak = json.get("peak_rss_bytes").asLong();
        long growth = json.get("rss_growth_bytes").asLong();
        assertThat(growth).isPositive(); // at least the KV cache and compute buffers
        assertThat(peak).isGreaterThanOrEqualTo(json.get("rss_before_load_bytes").asLong() + growth);
        assertThat(json.get("flash_attn").asText()).isEqualTo("auto");
        assertThat(json.get("kv_type").asText()).isEqualTo("f16");
    }

    private static void assertTest(JsonNode t, String name, int nPrompt, int nGen, int reps) {
        assertThat(t.get("name").asText()).isEqualTo(name);
        assertThat(t.get("n_prompt").asInt()).isEqualTo(nPrompt);
        assertThat(t.get("n_gen").asInt()).isEqualTo(nGen);
        assertThat(t.get("reps").asInt()).isEqualTo(reps);
        JsonNode tps = t.get("tokens_per_s");
        assertThat(tps.get("samples")).hasSize(reps);
        assertThat(tps.get("mean").asDouble()).isPositive().isFinite();
        assertThat(tps.get("stddev").asDouble()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void promptOnlyRunWithF32CacheAndFlashAttentionOffHasOneTest() {
        var o = new LlamaBench.Options(8, 0, 2, 1, 4, 4, true, LlamaBench.FlashAttention.OFF, false);
        BenchReport report = LlamaBench.run(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"), o);
        assertThat(report.tests()).extracting(BenchReport.Test::name).containsExactly("pp8");
        assertThat(report.tests().getFirst().tokensPerS().samples()).hasSize(2);
        assertThat(report.threads()).isEqualTo(1);
        assertThat(report.kvType()).isEqualTo("f32");
        assertThat(report.flashAttn()).isEqualTo("off");
        assertThat(report.toMarkdown()).contains("| pp8 |", "llama.cpp's growth");
    }

    @Test
    void throughputIsMeanAndSampleStddevLikeLlamaBench() {
        BenchReport.Throughput t = BenchReport.Throughput.of(new double[] {1, 2, 3, 4});
        assertThat(t.mean()).isEqualTo(2.5);
        assertThat(t.stddev()).isCloseTo(Math.sqrt(5.0 / 3.0), offset(1e-12)); // sum of squares 5, n - 1 = 3
        assertThat(BenchReport.Throughput.of(new double[] {7}).stddev()).isZero();
    }

    @Test
    void argumentsUseLlamaBenchFlagsAndBadOnesAreNamed(@TempDir Path dir) throws Exception {
        Path f = java.nio.file.Files.writeString(dir.resolve("m.gguf"), "x");
        LlamaBenchArgs a = LlamaBenchArgs.parse(new String[] {"--model", f.toString(), "-p", "64", "-n", "16",
                "-r", "1", "-t", "3", "-fa", "off", "-ctk", "f32", "--output", "json"});
        assertThat(a.options()).isEqualTo(new LlamaBench.Options(64, 16, 1, 3, 2048, 512, true,
                LlamaBench.FlashAttention.OFF, true));
        assertThat(a.json()).isTrue();
        assertThat(LlamaBenchArgs.parse(new String[] {"--help"})).isNull();

        assertThatThrownBy(() -> LlamaBenchArgs.parse(new String[] {"-p", "64"}))
                .hasMessageContaining("--model");
        assertThatThrownBy(() -> LlamaBenchArgs.parse(new String[] {"--model", dir.resolve("none.gguf").toString()}))
                .hasMessageContaining("not found").hasMessageContaining("none.gguf");
        assertThatThrownBy(() -> LlamaBenchArgs.parse(new String[] {"--model", f.toString(), "-r", "x"}))
                .hasMessageContaining("-r takes a whole number");
        assertThatThrownBy(() -> LlamaBenchArgs.parse(new String[] {"--model", f.toString(), "-r", "0"}))
                .hasMessageContaining("repetitions");
        assertThatThrownBy(() -> LlamaBenchArgs.parse(new String[] {"--model", f.toString(), "--bogus"}))
                .hasMessageContaining("unknown argument --bogus");
    }

    @Test
    void quantizeMainWritesAPureQ4File(@TempDir Path dir) {
        // the tiny model's rows have 8 columns, fewer than a Q4_0 block: llama.cpp keeps those tensors F16 (and
        // warns), but the file's type is Q4_0; the real shapes of the script quantize fully
        Path out = dir.resolve("tiny-q4_0.gguf");
        LlamaQuantizeMain.run(new String[] {ProjectFiles.sharedAsset("llama-2-tiny-random.gguf").toString(),
                out.toString(), "q4_0", "--pure"});
        try (LlamaCpp.Model model = LlamaCpp.load(out)) {
            assertThat(model.ftypeName()).isEqualTo("Q4_0");
        }
        assertThatThrownBy(() -> LlamaQuantizeMain.run(new String[] {out.toString(), "x.gguf", "q3_x"}))
                .hasMessageContaining("unknown type q3_x");
    }
}
