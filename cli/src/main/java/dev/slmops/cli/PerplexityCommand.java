package dev.slmops.cli;

import dev.slmops.model.load.LoadedModel;
import dev.slmops.workflows.eval.EvalChunks;
import dev.slmops.workflows.eval.EvalOptions;
import dev.slmops.workflows.eval.Perplexity;
import dev.slmops.workflows.eval.PerplexityResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = {"Perplexity of a model on a text file, with llama-perplexity's method and output.",
                "The text is tokenized with BOS and cut into windows of --ctx tokens; each window starts with BOS and only",
                "its second half is scored. Prints the running value per window ([1]x,[2]y,...) and the final estimate ± error."})
final class PerplexityCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, description = Models.DESCRIPTION)
    String model;

    @Option(names = {"-f", "--data"}, required = true, description = "A UTF-8 text file (e.g. wiki.test.raw).")
    Path data;

    @Mixin
    EvalWindowOptions window;

    @Override
    public Integer call() throws Exception {
        EvalOptions options = window.toEvalOptions();
        String text = EvalCliSupport.readText(data);
        try (LoadedModel m = LoadedModel.load(Models.resolve(model), new LoadedModel.Options(window.ctx, window.threads))) {
            EvalChunks ec = EvalChunks.of(m.tokenizer(), text, window.ctx, window.chunks, data.toString());
            System.err.printf(Locale.ROOT, "perplexity: %d tokens, %d chunks of %d, batch %d%n", ec.tokens().length,
                    ec.chunks(), window.ctx, window.batch);
            int[] printed = {0};
            PerplexityResult r = Perplexity.run(m, ec, options, p -> {
                for (; printed[0] < p.running().length; printed[0]++) {
                    System.out.printf(Locale.ROOT, "[%d]%.4f,", printed[0] + 1, p.running()[printed[0]]);
                }
                System.out.flush();
            });
            System.out.println();
            System.out.println(r.finalLine());
            System.err.printf(Locale.ROOT, "%d tokens scored in %.1f s%n", r.count(), r.seconds());
        }
        return 0;
    }
}
