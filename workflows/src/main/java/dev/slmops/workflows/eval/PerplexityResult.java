package dev.slmops.workflows.eval;

import java.util.Locale;

/**
 * Perplexity over the scored halves of every window, as llama-perplexity reports it.
 *
 * @param ppl         exp(mean NLL)
 * @param uncertainty ± of the estimate: ppl * sqrt(var(NLL) / (count - 1))
 * @param count       tokens scored
 * @param chunks      windows evaluated
 * @param ctx         tokens per window
 * @param running     perplexity after each window (llama.cpp's printed [1]x,[2]y,...)
 * @param seconds     wall time of the forward passes and scoring
 */
public record PerplexityResult(double ppl, double uncertainty, long count, int chunks, int ctx, double[] running,
                               double seconds) {

    /** The running values as llama-perplexity prints them: {@code [1]12.3456,[2]11.2345,}. */
    public String runningLine() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < running.length; i++) sb.append(String.format(Locale.ROOT, "[%d]%.4f,", i + 1, running[i]));
        return sb.toString();
    }

    /** {@code Final estimate: PPL = 12.3456 +/- 0.12345}. */
    public String finalLine() {
        return String.format(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f", ppl, uncertainty);
    }
}
