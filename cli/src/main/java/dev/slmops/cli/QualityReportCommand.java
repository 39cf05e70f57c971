package dev.slmops.cli;

import dev.slmops.workflows.eval.QualityReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "quality-report", mixinStandardHelpOptions = true,
        description = {"A Markdown table for a base model and its variants (quantizations): size, perplexity, mean and p99 KL divergence",
                "from the base, same-top-1 rate and decode tokens/s, measured on the same text in one run."})
final class QualityReportCommand implements Callable<Integer> {

    @Option(names = "--base", required = true, description = "The reference model (path, alias or pulled hub id).")
    String base;

    @Option(names = "--variant", required = true, description = "LABEL=MODEL (path, alias or pulled hub id) of a model to compare (repeatable).")
    List<String> variants;

    @Option(names = {"-f", "--data"}, required = true, description = "A UTF-8 text file.")
    Path data;

    @Mixin
    EvalWindowOptions window;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "64", description = "Tokens decoded for the t/s column (0 skips; default ${DEFAULT-VALUE}).")
    int gen;

    @Override
    public Integer call() throws Exception {
        List<QualityReport.Variant> vs = new ArrayList<>();
        for (String v : variants) {
            int eq = v.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--variant takes LABEL=PATH, got \"" + v + "\"");
            vs.add(new QualityReport.Variant(v.substring(0, eq), Models.resolve(v.substring(eq + 1))));
        }
        Path basePath = Models.resolve(base);
        String baseLabel = basePath.getFileName().toString();
        var rows = QualityReport.measure(new QualityReport.Variant(baseLabel, basePath), vs, EvalCliSupport.readText(data),
                data.toString(), window.toEvalOptions(), gen, System.err::println);
        System.out.print(QualityReport.markdown(rows));
        return 0;
    }
}
