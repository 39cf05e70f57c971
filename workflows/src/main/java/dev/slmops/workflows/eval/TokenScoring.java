package dev.slmops.workflows.eval;

/**
 * The per-position arithmetic of llama.cpp's perplexity tool (tools/perplexity), kept in its precision: exp in
 * float, the sum of exponentials in double, so that our numbers and llama-perplexity's agree to the last digits
 * it prints. All methods read one row of logits: {@code logits[off .. off + V)}, V the vocabulary size.
 */
public final class TokenScoring {
    private TokenScoring() {
    }

    /** Negative log-likelihood of {@code token} under softmax(row), in nats. */
    public static double nll(float[] logits, int off, int V, int token) {
        float max = logits[off];
        for (int i = 1; i < V; i++) max = Math.max(max, logits[off + i]);
        double sumExp = 0;
        for (int i = 0; i < V; i++) sumExp += (float) Math.exp(logits[off + i] - max);
        return -(logits[off + token] - max - Math.log(sumExp));
    }

    /** Index of the largest logit; the first one on ties (as llama.cpp scans). */
    public static int argmax(float[] logits, int off, int V) {
        int best = 0;
        for (int i = 1; i < V; i++) if (logits[off + i] > logits[off + best]) best = i;
        return best;
    }
}
