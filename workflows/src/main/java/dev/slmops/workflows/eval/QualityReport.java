package dev.slmops.workflows.eval;

import dev.slmops.model.load.LoadedModel;
import dev.slmops.workflows.bench.Benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The table that decides which quantization ships: for a base model and its variants, size on disk, perplexity,
 * KL divergence from the base, same-top-1 rate and decode speed, all measured on the same text in one run (the
 * base's log-probabilities are computed once and every variant is scored against them).
 */
public final class QualityReport {
    private QualityReport() {
    }

    /** A model to put in the table; {@code label} names its row (e.g. "Q4_K_M"). */
    public record Variant(String label, Path model) {
    }

    /**
     * One row. For the base model KLD is 0 and top-1 is 1 by definition.
     *
     * @param sizeBytes       bytes on disk (a file, or every file of a model directory)
     * @param pplUncertainty  ± of the perplexity
     * @param kld             mean KL divergence from the base, nats
     * @param kldP99          99th percentile of the per-token KLD
     * @param top1            same-top-1 rate, fraction
     * @param tokensPerSecond decode (tg) speed, NaN when not measured
     */
    public record Row(String label, long sizeBytes, double ppl, double pplUncertainty, double kld, double kldP99,
                      double top1, double tokensPerSecond) {
    }

    /**
     * @param genTokens tokens to decode for the speed column (0: no speed measurement)
     */
    public static List<Row> measure(Variant base, List<Variant> variants, String text, String source,
                                    EvalOptions options, int genTokens, Consumer<String> log) throws IOException {
        Path logits = Files.createTempFile("slmops-report-base", ".logits");
        try {
            List<Row> rows = new ArrayList<>();
            PerplexityResult basePpl;
            try (LoadedModel m = LoadedModel.load(base.model(), new LoadedModel.Options(options.ctx(), options.threads()))) {
                EvalChunks chunks = EvalChunks.of(m.tokenizer(), text, options.ctx(), options.maxChunks(), source);
                basePpl = ModelComparison.writeBaseLogits(m, chunks, options, logits, null);
            }
            log.accept(base.label() + ": " + basePpl.finalLine());
            rows.add(new Row(base.label(), sizeOnDisk(base.model()), basePpl.ppl(), basePpl.uncertainty(), 0, 0, 1,
                    speed(base.model(), genTokens, options.threads())));
            for (Variant v : variants) {
                KldResult k;
                try (LoadedModel m = LoadedModel.load(v.model(), new LoadedModel.Options(options.ctx(), options.threads()))) {
                    k = ModelComparison.compare(m, logits, options, null);
                }
                log.accept(String.format(Locale.ROOT, "%s: PPL %.4f, mean KLD %.6f, same top %.2f%%", v.label(),
                        k.pplQ().value(), k.kld().value(), 100 * k.sameTop().value()));
                rows.add(new Row(v.label(), sizeOnDisk(v.model()), k.pplQ().value(), k.pplQ().uncertainty(),
                        k.kld().value(), k.kldP99(), k.sameTop().value(), speed(v.model(), genTokens, options.threads())));
            }
            return rows;
        } finally {
            Files.deleteIfExists(logits);
        }
    }

    /** A Markdown table; sizes relative to the first row. */
    public static String markdown(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| model | size | vs first | PPL | mean KLD | KLD p99 | same top-1 | tg t/s |\n");
        sb.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        long first = rows.isEmpty() ? 1 : rows.getFirst().sizeBytes();
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.1f%% | %.4f ± %.4f | %.6f | %.6f | %.2f%% | %s |%n",
                    r.label(), human(r.sizeBytes()), 100.0 * r.sizeBytes() / first, r.ppl(), r.pplUncertainty(),
                    r.kld(), r.kldP99(), 100 * r.top1(),
                    Double.isNaN(r.tokensPerSecond()) ? "-" : String.format(Locale.ROOT, "%.2f", r.tokensPerSecond())));
        }
        return sb.toString();
    }

    private static double speed(Path model, int genTokens, int threads) throws IOException {
        if (genTokens <= 0) return Double.NaN;
        Benchmark.Result r = Benchmark.run(new Benchmark.Options(model, 0, genTokens, 3, threads));
        return r.tests().stream().filter(t -> t.nGen() > 0).mapToDouble(t -> t.tokensPerS().mean()).findFirst().orElse(Double.NaN);
    }

    static long sizeOnDisk(Path model) throws IOException {
        if (Files.isRegularFile(model)) return Files.size(model);
        try (Stream<Path> s = Files.walk(model)) {
            long total = 0;
            for (Path p : s.filter(Files::isRegularFile).toList()) total += Files.size(p);
            return total;
        }
    }

    private static String human(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
