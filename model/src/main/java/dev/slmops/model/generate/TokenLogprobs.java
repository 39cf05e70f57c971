package dev.slmops.model.generate;

/**
 * The model's log-probability of a chosen token and its most likely alternatives, from the raw logits
 * (log-softmax before any penalty, bias or temperature: the model's own distribution).
 *
 * @param token       the chosen token
 * @param logprob     its log-probability (natural log)
 * @param topTokens   the most likely tokens, best first
 * @param topLogprobs their log-probabilities
 */
public record TokenLogprobs(int token, float logprob, int[] topTokens, float[] topLogprobs) {

    /** Log-softmax of logits[off .. off+V) evaluated at token, with the k best alternatives. */
    public static TokenLogprobs of(float[] logits, int off, int V, int token, int k) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < V; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < V; i++) sum += Math.exp(logits[off + i] - max);
        float logZ = (float) (max + Math.log(sum));
        int[] top = new int[Math.max(0, Math.min(k, V))];
        float[] topLp = new float[top.length];
        // Partial selection: keep the k best in a small sorted array (k <= 20).
        int filled = 0;
        for (int i = 0; i < V && top.length > 0; i++) { // k = 0: the chosen token's log-probability only
            float v = logits[off + i];
            if (filled < top.length || v > logits[off + top[filled - 1]]) {
                int j = Math.min(filled, top.length - 1);
                while (j > 0 && logits[off + top[j - 1]] < v) {
                    top[j] = top[j - 1];
                    j--;
                }
                top[j] = i;
                if (filled < top.length) filled++;
            }
        }
        for (int i = 0; i < top.length; i++) topLp[i] = logits[off + top[i]] - logZ;
        return new TokenLogprobs(token, logits[off + token] - logZ, top, topLp);
    }
}
