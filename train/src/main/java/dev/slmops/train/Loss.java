package dev.slmops.train;

/**
 * Summed cross-entropy over a batch and the number of predicted tokens it was summed over (nats).
 */
public record Loss(double sum, long tokens) {
    public double mean() {
        return tokens == 0 ? Double.NaN : sum / tokens;
    }

    public double perplexity() {
        return Math.exp(mean());
    }

    public Loss plus(Loss o) {
        return new Loss(sum + o.sum, tokens + o.tokens);
    }
}
