package dev.slmops.workflows.eval;

import dev.slmops.model.load.LoadedModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Compares a model with a base model on the same text, as llama-perplexity does in two runs: the base model's
 * log-probabilities of the scored positions go to a {@link LogitsFile} (its perplexity is measured on the way),
 * then the compared model runs on the file's tokens and is scored against them ({@link KlDivergence}). Only one
 * model is in memory at a time; the file can be kept and reused for more candidates of the same base.
 */
public final class ModelComparison {
    private ModelComparison() {
    }

    /**
     * @param base      the base model's perplexity, when this run computed the base logits (empty when reused)
     * @param kld       the comparison
     * @param baseLogits where the base log-probabilities are (a temporary file is deleted after the run)
     */
    public record Result(Optional<PerplexityResult> base, KldResult kld, Optional<Path> baseLogits) {
    }

    /**
     * Runs the base model over {@code chunks} and writes its log-probabilities to {@code out} (atomically).
     *
     * @return the base model's perplexity
     */
    public static PerplexityResult writeBaseLogits(LoadedModel base, EvalChunks chunks, EvalOptions options, Path out,
                                                   Consumer<PerplexityResult> progress) throws IOException {
        int V = base.config().vocabSize();
        int words = BaseLogProbs.rowWords(V);
        Perplexity.Accumulator acc = new Perplexity.Accumulator(chunks);
        long t0 = System.nanoTime();
        try (LogitsFile.Writer w = new LogitsFile.Writer(out, chunks, V)) {
            short[] rows = new short[chunks.scoredPerChunk() * words];
            ChunkRunner.run(base, chunks, options.batch(), (c, logits) -> {
                int first = chunks.first();
                double[] nll = new double[chunks.scoredPerChunk()];
                base.pool().parallelFor(nll.length, r -> nll[r] = BaseLogProbs.encode(logits, (first + r) * V, V,
                        chunks.token(c, first + r + 1), rows, r * words));
                acc.add(nll);
                try {
                    w.writeChunk(rows);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (progress != null) progress.accept(acc.result((System.nanoTime() - t0) / 1e9));
            });
            w.commit();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return acc.result((System.nanoTime() - t0) / 1e9);
    }

    /**
     * Scores {@code model} against a base logits file (ours or llama-perplexity's {@code --kl-divergence-base}).
     *
     * @param progress receives the running comparison after each window (may be null)
     */
    public static KldResult compare(LoadedModel model, Path baseLogits, EvalOptions options,
                                    Consumer<KldResult> progress) throws IOException {
        try (LogitsFile.Reader r = new LogitsFile.Reader(baseLogits)) {
            LogitsFile.Header h = r.header();
            int V = model.config().vocabSize();
            if (h.vocab() != V) {
                throw new IllegalArgumentException("the base logits in " + baseLogits + " cover a vocabulary of "
                        + h.vocab() + " tokens, the model has " + V + ": compare models that share a tokenizer");
            }
            EvalChunks chunks = h.chunks().withBos(EvalChunks.addedBos(model.tokenizer()));
            int words = BaseLogProbs.rowWords(V);
            KlDivergence kld = new KlDivergence(chunks.chunks() * chunks.scoredPerChunk());
            ChunkRunner.run(model, chunks, options.batch(), (c, logits) -> {
                short[] rows;
                try {
                    rows = r.readChunk();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                int first = chunks.first();
                KlDivergence.Position[] positions = new KlDivergence.Position[chunks.scoredPerChunk()];
                model.pool().parallelFor(positions.length, row -> positions[row] = KlDivergence.position(
                        logits, (first + row) * V, V, rows, row * words, chunks.token(c, first + row + 1)));
                for (KlDivergence.Position p : positions) kld.accept(p); // in order: sums independent of threads
                if (progress != null) progress.accept(kld.result());
            });
            return kld.result();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * The whole comparison from files: base logits computed from {@code basePath} over {@code text} (saved to
     * {@code saveBaseLogits} when given, else to a temporary file), or read from {@code reuseBaseLogits}; then the
     * model at {@code modelPath} scored against them.
     *
     * @param basePath ignored when {@code reuseBaseLogits} is given
     */
    public static Result run(Path basePath, Path modelPath, String text, String source, EvalOptions options,
                             Path saveBaseLogits, Path reuseBaseLogits, Consumer<String> log) throws IOException {
        Optional<PerplexityResult> basePpl = Optional.empty();
        Path logits = reuseBaseLogits;
        boolean temporary = false;
        if (logits == null) {
            temporary = saveBaseLogits == null;
            logits = temporary ? Files.createTempFile("slmops-base-logits", ".bin") : saveBaseLogits;
            try (LoadedModel base = LoadedModel.load(basePath, new LoadedModel.Options(options.ctx(), options.threads()))) {
                EvalChunks chunks = EvalChunks.of(base.tokenizer(), text, options.ctx(), options.maxChunks(), source);
                log.accept("base " + basePath + ": " + chunks.chunks() + " chunks of " + chunks.ctx() + " tokens");
                basePpl = Optional.of(writeBaseLogits(base, chunks, options, logits, null));
                log.accept("base " + basePpl.get().runningLine());
                log.accept("base " + basePpl.get().finalLine());
            } catch (IOException | RuntimeException e) {
                if (temporary) Files.deleteIfExists(logits);
                throw e;
            }
        }
        try (LoadedModel model = LoadedModel.load(modelPath, new LoadedModel.Options(ctxOf(logits), options.threads()))) {
            if (text != null) requireSameTokens(model, text, logits, modelPath);
            log.accept(KldResult.CHUNK_HEADER);
            int[] chunk = {0};
            KldResult kld = compare(model, logits, options, k -> log.accept(k.chunkLine(++chunk[0])));
            return new Result(basePpl, kld, temporary ? Optional.empty() : Optional.of(logits));
        } finally {
            if (temporary) Files.deleteIfExists(logits);
        }
    }

    /** KLD only means something over the same tokens: the model must cut the text as the base did. */
    private static void requireSameTokens(LoadedModel model, String text, Path logits, Path modelPath) throws IOException {
        int[] baseTokens;
        try (LogitsFile.Reader r = new LogitsFile.Reader(logits)) {
            baseTokens = r.header().chunks().tokens();
        }
        int[] ours = model.tokenizer().encode(text, true);
        if (ours.length < baseTokens.length
                || !java.util.Arrays.equals(baseTokens, java.util.Arrays.copyOf(ours, baseTokens.length))) {
            throw new IllegalArgumentException(modelPath + " tokenizes the text differently from the base model: "
                    + "KL divergence compares models that share a tokenizer");
        }
    }

    private static int ctxOf(Path logits) throws IOException {
        try (LogitsFile.Reader r = new LogitsFile.Reader(logits)) {
            return r.header().ctx();
        }
    }
}
