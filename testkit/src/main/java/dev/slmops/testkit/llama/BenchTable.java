package dev.slmops.testkit.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The side-by-side table of {@code scripts/bench-vs-llamacpp.sh}: for each model file, the JSON that
 * {@code slmops bench --output json} printed and the JSON that {@link LlamaBench} printed (the schema of
 * {@link BenchReport}), as one markdown row with the ratios slmops / llama.cpp.
 *
 * <p>{@code java -cp <testkit classpath> dev.slmops.testkit.llama.BenchTable SHAPE TYPE SLMOPS.json LLAMA.json
 * [SHAPE TYPE SLMOPS.json LLAMA.json ...]}; a JSON path that is {@code -} or names no file shows as n/a.
 *
 * <p>The pp test of a report is the one with {@code n_prompt > 0, n_gen == 0}, the tg test the one with
 * {@code n_prompt == 0, n_gen > 0}. slmops's memory is its process's peak ({@code peak_rss_bytes}); llama.cpp's is
 * {@code rss_growth_bytes}, the memory llama.cpp added to the JVM that hosts it in this benchmark (a native
 * llama-bench process would add a few MiB of its own).
 */
public final class BenchTable {
    private BenchTable() {
    }

    /** One model file benchmarked by both tools; a report is null when that side did not run. */
    public record Row(String shape, String type, JsonNode slmops, JsonNode llama) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads a report; null when {@code file} is {@code -} or does not exist. */
    public static JsonNode read(String file) {
        if (file.equals("-") || !Files.isRegularFile(Path.of(file))) return null;
        try {
            JsonNode node = JSON.readTree(Path.of(file).toFile());
            if (node == null || !node.isObject() || !node.path("tests").isArray()) {
                throw new IllegalArgumentException(file + " is not a benchmark report: expected a JSON object with "
                        + "a \"tests\" array (the output of --output json)");
            }
            return node;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The markdown table with a header from the first report that has the tests, then a note on the columns. */
    public static String markdown(List<Row> rows) {
        String pp = "pp", tg = "tg";
        for (Row r : rows) {
            for (JsonNode report : new JsonNode[] {r.llama(), r.slmops()}) {
                if (report == null) continue;
                JsonNode p = test(report, true), g = test(report, false);
                if (pp.equals("pp") && p != null) pp = p.path("name").asText("pp");
                if (tg.equals("tg") && g != null) tg = g.path("name").asText("tg");
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| shape | type | slmops %1$s | llama.cpp %1$s | ratio | slmops %2$s "
                + "| llama.cpp %2$s | ratio | slmops peak RSS | llama.cpp RSS | ratio |%n", pp, tg));
        sb.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Row r : rows) {
            double sPp = tokensPerS(r.slmops(), true), lPp = tokensPerS(r.llama(), true);
            double sTg = tokensPerS(r.slmops(), false), lTg = tokensPerS(r.llama(), false);
            double sRss = bytes(r.slmops(), "peak_rss_bytes"), lRss = bytes(r.llama(), "rss_growth_bytes");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    r.shape(), r.type(), rate(sPp), rate(lPp), ratio(sPp, lPp), rate(sTg), rate(lTg), ratio(sTg, lTg),
                    mib(sRss), mib(lRss), ratio(sRss, lRss)));
        }
        sb.append("\nt/s: tokens per second, mean over the repetitions; ratio: slmops / llama.cpp (above 1 is "
                + "faster for t/s, bigger for RSS). slmops peak RSS: its whole process (VmHWM). llama.cpp RSS: the "
                + "peak resident memory llama.cpp added to the JVM hosting it (model pages, repacked weights, KV "
                + "cache, compute buffers), not counting that JVM.\n");
        return sb.toString();
    }

    /** The pp test ({@code n_prompt > 0, n_gen == 0}) or the tg test ({@code n_prompt == 0, n_gen > 0}). */
    static JsonNode test(JsonNode report, boolean pp) {
        if (report == null) return null;
        for (JsonNode t : report.path("tests")) {
            int p = t.path("n_prompt").asInt(0), g = t.path("n_gen").asInt(0);
            if (pp ? p > 0 && g == 0 : p == 0 && g > 0) return t;
        }
        return null;
    }

    private static double tokensPerS(JsonNode report, boolean pp) {
        JsonNode t = test(report, pp);
        return t == null ? Double.NaN : t.path("tokens_per_s").path("mean").asDouble(Double.NaN);
    }

    private static double bytes(JsonNode report, String field) {
        return report == null || !report.has(field) ? Double.NaN : report.get(field).asDouble();
    }

    private static String rate(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String mib(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.0f MiB", v / 1048576.0);
    }

    private static String ratio(double ours, double theirs) {
        return Double.isNaN(ours) || Double.isNaN(theirs) || theirs <= 0 ? "n/a"
                : String.format(Locale.ROOT, "%.2f", ours / theirs);
    }

    public static void main(String[] args) {
        if (args.length == 0 || args.length % 4 != 0) {
            System.err.println("usage: BenchTable SHAPE TYPE SLMOPS.json LLAMA.json [SHAPE TYPE SLMOPS.json LLAMA.json ...]"
                    + " (- for a side that did not run)");
            System.exit(2);
        }
        List<Row> rows = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i += 4) {
                rows.add(new Row(args[i], args[i + 1], read(args[i + 2]), read(args[i + 3])));
            }
        } catch (IllegalArgumentException e) {
            System.err.println("bench table: " + e.getMessage());
            System.exit(1);
        }
        System.out.print(markdown(rows));
    }
}
