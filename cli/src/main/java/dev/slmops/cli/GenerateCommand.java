package dev.slmops.cli;

import dev.slmops.model.generate.Generator;
import dev.slmops.model.load.LoadedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a prompt, streaming the text as it is generated.",
                "--chat wraps the prompt in the model's chat template."})
final class GenerateCommand implements Callable<Integer> {

    @Mixin
    RunOptions run;

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt text.")
    String prompt;

    @Option(names = "--chat", description = "Wrap the prompt as a user message in the model's chat template.")
    boolean chat;

    @Option(names = "--stats", description = "Print timing statistics to stderr at the end.")
    boolean stats;

    @Mixin
    SamplingOptions sampling;

    @Override
    public Integer call() throws Exception {
        var params = sampling.toParams();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (LoadedModel m = run.load()) {
            String text = chat ? ChatPrompts.userTurn(m, prompt) : prompt;
            int[] ids = m.tokenizer().encode(text, !chat);
            Generator.Result r = m.generator().generate(ids, params, m.newCache(), (piece, token, lp) -> {
                if (lp != null) {
                    out.printf(Locale.ROOT, "%s\t[%d logprob %.4f]%n", piece, token, lp.logprob());
                } else {
                    out.print(piece);
                }
                return true;
            });
            out.println();
            if (stats) {
                System.err.printf(Locale.ROOT, "prompt %d tokens in %.1f ms (%.1f t/s); generated %d tokens, %.2f t/s; finish: %s%n",
                        r.promptTokens(), r.prefillNanos() / 1e6, r.promptTokens() * 1e9 / Math.max(1, r.prefillNanos()),
                        r.tokens().length, r.decodeTokensPerSecond(), r.finish().name().toLowerCase(Locale.ROOT));
            }
        }
        return 0;
    }
}
