package dev.slmops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.model.load.ModelReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show a model's architecture, sizes, tensors, tokenizer and template.",
                "Prints text, or JSON with --json; --tensors lists every tensor."})
final class InspectCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MODEL", description = Models.DESCRIPTION)
    String model;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--tensors", description = "List every tensor (name, type, shape, bytes).")
    boolean tensors;

    @Override
    public Integer call() throws Exception {
        ModelReport r;
        try (ModelFiles files = ModelFiles.open(Models.resolve(model))) {
            r = ModelReport.of(files);
        }
        if (json) {
            ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ModelReport out = tensors ? r : new ModelReport(r.path(), r.format(), r.architecture(), r.parameters(),
                    r.tensorBytes(), r.dtypes(), r.hyper(), r.tokenizer(), r.chatTemplate(), java.util.List.of());
            System.out.println(m.writeValueAsString(out));
            return 0;
        }
        var h = r.hyper();
        System.out.printf("model          %s (%s)%n", r.path(), r.format());
        System.out.printf("architecture   %s%n", r.architecture());
        System.out.printf("parameters     %s (%s stored)%n", human(r.parameters(), ""), bytes(r.tensorBytes()));
        System.out.printf("layers         %d, hidden %d, ffn %d, heads %d (kv %d), head dim %d%n", h.layers(),
                h.hiddenSize(), h.intermediateSize(), h.heads(), h.kvHeads(), h.headDim());
        System.out.printf("context        %d tokens, rope scaling %s%s%n", h.contextLength(), h.ropeScaling(),
                h.slidingWindow() > 0 ? ", sliding window " + h.slidingWindow() : "");
        System.out.printf("vocab          %d%s%n", h.vocabSize(), h.tiedEmbeddings() ? " (output tied to embeddings)" : "");
        r.dtypes().forEach((t, c) -> System.out.printf("tensors %-6s %4d tensors, %s params, %s%n", t, c.tensors(),
                human(c.parameters(), ""), bytes(c.bytes())));
        var tok = r.tokenizer();
        if (tok.error() != null) {
            System.out.printf("tokenizer      none: %s%n", tok.error());
        } else {
            System.out.printf("tokenizer      %s, %d tokens, bos %s, eos %s%n", tok.kind(), tok.vocabSize(), tok.bos(),
                    String.join(", ", tok.eos()));
        }
        System.out.printf("chat template  %s%n", r.chatTemplate());
        if (tensors) {
            for (var t : r.tensors()) {
                System.out.printf("  %-48s %-5s %-18s %s%n", t.name(), t.dtype(), Arrays.toString(t.shape()), bytes(t.bytes()));
            }
        }
        return 0;
    }

    static String human(long n, String unit) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2fB%s", n / 1e9, unit);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.1fM%s", n / 1e6, unit);
        if (n >= 1_000L) return String.format(Locale.ROOT, "%.1fK%s", n / 1e3, unit);
        return n + unit;
    }

    static String bytes(long b) {
        if (b >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
        if (b >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        if (b >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        return b + " B";
    }
}
