package dev.slmops.testkit.llama;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The result of a {@link LlamaBench} run, printed as JSON in the schema that {@code slmops bench --output json}
 * prints too, so that {@link BenchTable} can set the two side by side:
 *
 * <pre>{@code
 * {"tool":"llama.cpp","model":"/path/x.gguf","type":"F16","model_bytes":N,"params":N,"threads":2,
 *  "tests":[{"name":"pp512","n_prompt":512,"n_gen":0,"reps":5,
 *            "tokens_per_s":{"mean":x,"stddev":x,"samples":[...]}},
 *           {"name":"tg128","n_prompt":0,"n_gen":128,"reps":5,"tokens_per_s":{...}}],
 *  "peak_rss_bytes":N,"rss_growth_bytes":N, ...}
 * }</pre>
 *
 * plus, after those, what only the llama.cpp side has: {@code flash_attn}, {@code kv_type},
 * {@code rss_before_load_bytes} and {@code peak_rss_reset} (false: the kernel did not let the peak be reset, so
 * {@code rss_growth_bytes} is an upper bound).
 *
 * @param modelBytes        bytes of the weight tensors ({@code llama_model_size}, llama-bench's "size")
 * @param params            number of weights ({@code llama_model_n_params})
 * @param peakRssBytes      the process's peak resident set (VmHWM), JVM included
 * @param rssGrowthBytes    peak resident set while llama.cpp held the model minus the resident set before it
 *                          loaded it: what llama.cpp itself needed
 * @param rssBeforeLoadBytes resident set before the model was loaded (the JVM and the loaded libraries)
 */
public record BenchReport(String tool, Path model, String type, long modelBytes, long params, int threads,
                          String flashAttn, String kvType, List<Test> tests, long peakRssBytes, long rssGrowthBytes,
                          long rssBeforeLoadBytes, boolean peakRssReset) {

    /**
     * Tokens per second over the repetitions, as llama-bench reports them: each repetition's tokens divided by
     * its time, then the mean and the sample standard deviation (n - 1; 0 for one repetition) of those rates.
     */
    public record Throughput(double mean, double stddev, double[] samples) {
        public static Throughput of(double[] samples) {
            if (samples.length == 0) throw new IllegalArgumentException("no samples");
            double sum = 0;
            for (double s : samples) sum += s;
            double mean = sum / samples.length;
            double squares = 0;
            for (double s : samples) squares += (s - mean) * (s - mean);
            double stddev = samples.length > 1 ? Math.sqrt(squares / (samples.length - 1)) : 0;
            return new Throughput(mean, stddev, samples.clone());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Throughput t && t.mean == mean && t.stddev == stddev
                    && Arrays.equals(t.samples, samples);
        }

        @Override
        public int hashCode() {
            return Double.hashCode(mean) * 31 + Arrays.hashCode(samples);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.2f ± %.2f t/s over %d", mean, stddev, samples.length);
        }
    }

    /** One test: {@code pp<n_prompt>} or {@code tg<n_gen>}. */
    public record Test(String name, int nPrompt, int nGen, int reps, Throughput tokensPerS) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The JSON document, keys in the order of the schema above, with a trailing newline. */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("tool", tool);
        root.put("model", model.toString());
        root.put("type", type);
        root.put("model_bytes", modelBytes);
        root.put("params", params);
        root.put("threads", threads);
        ArrayNode testsNode = root.putArray("tests");
        for (Test t : tests) {
            ObjectNode tn = testsNode.addObject();
            tn.put("name", t.name());
            tn.put("n_prompt", t.nPrompt());
            tn.put("n_gen", t.nGen());
            tn.put("reps", t.reps());
            ObjectNode tps = tn.putObject("tokens_per_s");
            tps.put("mean", t.tokensPerS().mean());
            tps.put("stddev", t.tokensPerS().stddev());
            ArrayNode samples = tps.putArray("samples");
            for (double s : t.tokensPerS().samples()) samples.add(s);
        }
        root.put("peak_rss_bytes", peakRssBytes);
        root.put("rss_growth_bytes", rssGrowthBytes);
        root.put("flash_attn", flashAttn);
        root.put("kv_type", kvType);
        root.put("rss_before_load_bytes", rssBeforeLoadBytes);
        root.put("peak_rss_reset", peakRssReset);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A table in llama-bench's markdown layout, then the memory figures. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| model | size | params | backend | threads | fa | type_k | test | t/s |\n");
        sb.append("| --- | ---: | ---: | --- | ---: | --- | --- | ---: | ---: |\n");
        for (Test t : tests) {
            sb.append(String.format(Locale.ROOT, "| %s %s | %.2f MiB | %.2f M | CPU | %d | %s | %s | %s | %.2f ± %.2f |%n",
                    model.getFileName(), type, modelBytes / 1048576.0, params / 1e6, threads, flashAttn, kvType,
                    t.name(), t.tokensPerS().mean(), t.tokensPerS().stddev()));
        }
        sb.append(String.format(Locale.ROOT, "%npeak RSS %.1f MiB (process, JVM included); llama.cpp's growth %.1f MiB"
                        + " over %.1f MiB before loading%s%n", peakRssBytes / 1048576.0, rssGrowthBytes / 1048576.0,
                rssBeforeLoadBytes / 1048576.0, peakRssReset ? "" : " (peak not resettable: growth is an upper bound)"));
        return sb.toString();
    }
}
