package dev.slmops.testkit.llama;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * llama-perplexity {@code --kl-divergence} for scripts, computed by llama.cpp end to end: both models run in llama.cpp
 * (F32 K/V cache, 2 threads per context) on the windows of {@link LlamaPerplexity}; perplexity, KL divergence of MODEL
 * from BASE and the same-top-1 rate are computed here exactly in double from the raw logits (llama-perplexity stores
 * the base log-probabilities in 16 bits; the parity test shows our scoring of those agrees within 1%).
 * <pre>
 *   java -cp &lt;testkit classpath&gt; dev.slmops.testkit.llama.LlamaKldMain BASE.gguf MODEL.gguf TEXT [--ctx 512] [--chunks N]
 * </pre>
 * Prints one JSON object: positions, ppl_base, ppl, kld_mean, kld_median, kld_p99, kld_max, same_top1 (a fraction).
 */
public final class LlamaKldMain {
    private LlamaKldMain() {
    }

    static final String USAGE = "usage: LlamaKldMain BASE.gguf MODEL.gguf TEXT.txt [--ctx N (512)] [--chunks N (all)]";

    public static void main(String[] args) {
        try {
            run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("llama.cpp KLD (slmops testkit): " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        } catch (RuntimeException | IOException e) {
            System.err.println("llama.cpp KLD (slmops testkit): " + e.getMessage());
            System.exit(1);
        }
    }

    static void run(String[] args) throws IOException {
        String[] positional = new String[3];
        int count = 0, ctx = 512, maxChunks = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--ctx" -> ctx = intValue(args, ++i, "--ctx");
                case "--chunks" -> maxChunks = intValue(args, ++i, "--chunks");
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    if (args[i].startsWith("-") || count == 3) throw new IllegalArgumentException("unexpected argument " + args[i]);
                    positional[count++] = args[i];
                }
            }
        }
        if (count != 3) throw new IllegalArgumentException("needs BASE.gguf MODEL.gguf TEXT");
        Path textFile = Path.of(positional[2]);
        if (!Files.isRegularFile(textFile)) throw new IllegalArgumentException("text file not found: " + textFile.toAbsolutePath());
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(textFile))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(textFile + " is not valid UTF-8: convert it first (iconv -t UTF-8)");
        }
        System.out.println(measure(Path.of(positional[0]), Path.of(positional[1]), text, ctx, maxChunks).json());
    }

    /** The figures of one comparison. {@code sameTop1} is a fraction. */
    public record Result(long positions, double pplBase, double ppl, double kldMean, double kldMedian, double kldP99,
                         double kldMax, double sameTop1) {
        String json() {
            return String.format(Locale.ROOT, "{\"positions\": %d, \"ppl_base\": %.6f, \"ppl\": %.6f, \"kld_mean\": %.8g, "
                            + "\"kld_median\": %.8g, \"kld_p99\": %.8g, \"kld_max\": %.8g, \"same_top1\": %.6f}",
                    positions, pplBase, ppl, kldMean, kldMedian, kldP99, kldMax, sameTop1);
        }
    }

    /** Runs both models window by window (two contexts side by side: memory stays one window of logits each). */
    public static Result measure(Path baseFile, Path modelFile, String text, int ctx, int maxChunks) {
        try (LlamaCpp.Model base = LlamaCpp.load(baseFile); LlamaCpp.Model model = LlamaCpp.load(modelFile);
             LlamaCpp.Context baseCtx = base.newContext(ctx, true); LlamaCpp.Context modelCtx = model.newContext(ctx, true)) {
            int[] tokens = LlamaPerplexity.tokens(base, text);
            if (!Arrays.equals(tokens, LlamaPerplexity.tokens(model, text))) {
                throw new IllegalArgumentException(baseFile + " and " + modelFile + " tokenize the text differently: "
                        + "compare a model with its own base");
            }
            int windows = LlamaPerplexity.windows(tokens, ctx, maxChunks);
            if (windows == 0) {
                throw new IllegalArgumentException("the text has " + tokens.length + " tokens, less than one window of " + ctx);
            }
            int per = LlamaPerplexity.scoredPerWindow(ctx), first = LlamaPerplexity.firstScored(ctx);
            double[] kld = new double[windows * per];
            double nllBase = 0, nll = 0;
            long same = 0;
            int k = 0;
            for (int c = 0; c < windows; c++) {
                float[][] b = LlamaPerplexity.scoredLogits(base, baseCtx, tokens, ctx, c);
                float[][] q = LlamaPerplexity.scoredLogits(model, modelCtx, tokens, ctx, c);
                for (int r = 0; r < per; r++, k++) {
                    double[] lp = LlamaPerplexity.logSoftmax(b[r]), lq = LlamaPerplexity.logSoftmax(q[r]);
                    int next = tokens[c * ctx + first + r + 1];
                    nllBase -= lp[next];
                    nll -= lq[next];
                    double d = 0;
                    for (int v = 0; v < lp.length; v++) d += Math.exp(lp[v]) * (lp[v] - lq[v]);
                    kld[k] = d;
                    if (LlamaPerplexity.argmax(b[r]) == LlamaPerplexity.argmax(q[r])) same++;
                }
            }
            double mean = Arrays.stream(kld).sum() / kld.length;
            double[] sorted = kld.clone();
            Arrays.sort(sorted);
            return new Result(kld.length, Math.exp(nllBase / kld.length), Math.exp(nll / kld.length), mean,
                    percentile(sorted, 0.5), percentile(sorted, 0.99), sorted[sorted.length - 1], (double) same / kld.length);
        }
    }

    /** Linear interpolation between sorted values at {@code p * (n - 1)}, as llama-perplexity's percentiles. */
    static double percentile(double[] sorted, double p) {
        double x = p * (sorted.length - 1);
        int lo = (int) Math.floor(x), hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (x - lo) * (sorted[hi] - sorted[lo]);
    }

    private static int intValue(String[] args, int i, String name) {
        if (i >= args.length) throw new IllegalArgumentException(name + " needs a value");
        try {
            int v = Integer.parseInt(args[i]);
            if (v < 1) throw new IllegalArgumentException(name + " must be >= 1");
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " takes a whole number, not " + args[i]);
        }
    }
}
