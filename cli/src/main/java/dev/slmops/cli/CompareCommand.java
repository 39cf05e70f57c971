package dev.slmops.cli;

import dev.slmops.workflows.eval.EvalOptions;
import dev.slmops.workflows.eval.KldResult;
import dev.slmops.workflows.eval.ModelComparison;
import dev.slmops.workflows.eval.QualityGates;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Compare a model (e.g. a quantized one) with its base model on a text file, like llama-perplexity --kl-divergence:",
                "perplexity of both, KL divergence of the model from the base (mean, median, p99, max ...), same-top-1 rate, Δp percentiles.",
                "Gates (--max-kld, --max-ppl-increase, --min-top1) make the command fail with exit code 3 when the model is worse than allowed.",
                "--save-base-logits keeps the base log-probabilities (llama.cpp's --kl-divergence-base format) for reuse with --base-logits."})
final class CompareCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--base", description = "The reference model (path, alias or pulled hub id). Not needed with --base-logits.")
    String base;

    @Option(names = {"-m", "--model"}, required = true, description = "The model to judge (path, alias or pulled hub id).")
    String model;

    @Option(names = {"-f", "--data"}, description = "A UTF-8 text file. Not needed with --base-logits (the file holds the tokens).")
    Path data;

    @Option(names = "--save-base-logits", description = "Write the base model's log-probabilities here for later runs.")
    Path saveBaseLogits;

    @Option(names = "--base-logits", description = "Reuse base log-probabilities written by --save-base-logits or llama-perplexity --kl-divergence-base.")
    Path baseLogits;

    @Option(names = "--force", description = "Replace an existing --save-base-logits file.")
    boolean force;

    @Mixin
    EvalWindowOptions window;

    @Option(names = "--max-kld", description = "Fail when the mean KL divergence exceeds this (nats).")
    Double maxKld;

    @Option(names = "--max-ppl-increase", description = "Fail when perplexity rises by more than this many percent.")
    Double maxPplIncrease;

    @Option(names = "--min-top1", description = "Fail when the same-top-1 rate is below this percentage.")
    Double minTop1;

    @Override
    public Integer call() throws Exception {
        if (baseLogits == null && (base == null || data == null)) {
            throw new IllegalArgumentException("give --base and --data, or --base-logits from an earlier --save-base-logits run");
        }
        if (baseLogits != null && saveBaseLogits != null) {
            throw new IllegalArgumentException("--base-logits and --save-base-logits exclude each other");
        }
        if (saveBaseLogits != null && Files.exists(saveBaseLogits) && !force) {
            throw new IllegalArgumentException(saveBaseLogits + " already exists; pass --force to replace it or --base-logits to reuse it");
        }
        QualityGates gates = new QualityGates(maxKld, maxPplIncrease, minTop1);
        EvalOptions options = window.toEvalOptions();
        String text = baseLogits == null ? EvalCliSupport.readText(data) : null;
        ModelComparison.Result r = ModelComparison.run(base == null ? null : Models.resolve(base), Models.resolve(model), text, data == null ? null : data.toString(), options,
                saveBaseLogits, baseLogits, System.err::println);
        KldResult k = r.kld();
        r.base().ifPresent(b -> System.out.println("PPL(base) " + b.finalLine().replace("Final estimate: PPL = ", "")));
        System.out.printf(Locale.ROOT, "PPL(model) %.4f +/- %.5f%n%n", k.pplQ().value(), k.pplQ().uncertainty());
        System.out.print(k.format());
        r.baseLogits().ifPresent(p -> System.err.println("base logits kept in " + p));
        if (k.count() < 100) System.err.println("warning: only " + k.count() + " positions compared; statistics are rough (llama.cpp asks for 100+)");
        if (gates.isEmpty()) return 0;
        List<String> failed = gates.violations(k);
        if (failed.isEmpty()) {
            System.out.println("\nquality gates: passed");
            return 0;
        }
        PrintWriter err = spec.commandLine().getErr();
        for (String f : failed) err.println("quality gate failed: " + f);
        err.flush();
        return EvalCliSupport.GATE_FAILED;
    }
}
