package dev.slmops.workflows.eval;

import dev.slmops.model.load.LoadedModel;

import java.util.function.Consumer;

/**
 * Perplexity with llama-perplexity's method (tools/perplexity, default mode): {@link EvalChunks} windows, each
 * evaluated from an empty cache with BOS at position 0, the NLL of the second half's tokens accumulated over all
 * windows; PPL = exp(mean NLL), its ± from the sample variance of the NLLs.
 */
public final class Perplexity {
    private Perplexity() {
    }

    /**
     * @param progress receives the running perplexity after each window (may be null)
     */
    public static PerplexityResult run(LoadedModel model, EvalChunks chunks, EvalOptions options,
                                       Consumer<PerplexityResult> progress) {
        Accumulator acc = new Accumulator(chunks);
        long t0 = System.nanoTime();
        ChunkRunner.run(model, chunks, options.batch(), (c, logits) -> {
            int V = model.config().vocabSize(), first = chunks.first();
            double[] nll = new double[chunks.scoredPerChunk()];
            model.pool().parallelFor(nll.length, r -> nll[r] = TokenScoring.nll(logits, (first + r) * V, V,
                    chunks.token(c, first + r + 1)));
            acc.add(nll);
            if (progress != null) progress.accept(acc.result((System.nanoTime() - t0) / 1e9));
        });
        return acc.result((System.nanoTime() - t0) / 1e9);
    }

    /** Sums NLL and NLL² window by window. */
    static final class Accumulator {
        private final EvalChunks chunks;
        private final double[] running;
        private double nll, nll2;
        private long count;
        private int done;

        Accumulator(EvalChunks chunks) {
            this.chunks = chunks;
            this.running = new double[chunks.chunks()];
        }

        /** @param windowNll the NLL of each scored position of the next window, in order */
        void add(double[] windowNll) {
            for (double v : windowNll) {
                nll += v;
                nll2 += v * v;
            }
            count += windowNll.length;
            running[done++] = Math.exp(nll / count);
        }

        PerplexityResult result(double seconds) {
            double mean = nll / count;
            double ppl = Math.exp(mean);
            double var = nll2 / count - mean * mean;
            double unc = var > 0 && count > 1 ? Math.sqrt(var / (count - 1)) * ppl : 0;
            return new PerplexityResult(ppl, unc, count, done, chunks.ctx(), java.util.Arrays.copyOf(running, done), seconds);
        }
    }
}
