package dev.slmops.testkit.llama;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The side-by-side table reads both tools' JSON reports and divides slmops by llama.cpp. */
class BenchTableTest {
    private static String report(String tool, double pp, double tg, long peak, long growth) {
        return """
                {"tool":"%s","model":"/m.gguf","type":"F16","model_bytes":1,"params":1,"threads":2,
                 "tests":[{"name":"pp512","n_prompt":512,"n_gen":0,"reps":5,"tokens_per_s":{"mean":%s,"stddev":1,"samples":[]}},
                          {"name":"tg128","n_prompt":0,"n_gen":128,"reps":5,"tokens_per_s":{"mean":%s,"stddev":1,"samples":[]}}],
                 "peak_rss_bytes":%d,"rss_growth_bytes":%d}
                """.formatted(tool, pp, tg, peak, growth);
    }

    @Test
    void rowsShowBothToolsAndTheirRatios(@TempDir Path dir) throws Exception {
        Path ours = Files.writeString(dir.resolve("s.json"), report("slmops", 300, 50, 600L << 20, 0));
        Path theirs = Files.writeString(dir.resolve("l.json"), report("llama.cpp", 400, 40, 900L << 20, 500L << 20));
        String md = BenchTable.markdown(List.of(
                new BenchTable.Row("smollm2-135m", "F16", BenchTable.read(ours.toString()), BenchTable.read(theirs.toString())),
                new BenchTable.Row("qwen2.5-0.5b", "Q8_0", null, BenchTable.read(theirs.toString()))));
        String[] lines = md.split("\n");
        assertThat(lines[0]).isEqualTo("| shape | type | slmops pp512 | llama.cpp pp512 | ratio | slmops tg128 "
                + "| llama.cpp tg128 | ratio | slmops peak RSS | llama.cpp RSS | ratio |");
        // slmops RSS is its process peak; llama.cpp's is the growth it caused in its host JVM
        assertThat(lines[2]).isEqualTo("| smollm2-135m | F16 | 300.0 | 400.0 | 0.75 | 50.0 | 40.0 | 1.25 "
                + "| 600 MiB | 500 MiB | 1.20 |");
        assertThat(lines[3]).isEqualTo("| qwen2.5-0.5b | Q8_0 | n/a | 400.0 | n/a | n/a | 40.0 | n/a "
                + "| n/a | 500 MiB | n/a |");
    }

    @Test
    void aFileThatIsNotAReportIsNamed(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"tool\":\"x\"}");
        assertThatThrownBy(() -> BenchTable.read(bad.toString()))
                .hasMessageContaining("bad.json").hasMessageContaining("\"tests\"");
        assertThat(BenchTable.read("-")).isNull();
        assertThat(BenchTable.read(dir.resolve("missing.json").toString())).isNull();
    }
}
