package dev.slmops.workflows.eval;

/**
 * How to cut and run the evaluation text, with llama-perplexity's defaults.
 *
 * @param ctx       tokens per window (llama-perplexity -c, default 512)
 * @param batch     tokens per forward call; batch / ctx windows run together (-b, default 2048)
 * @param maxChunks windows to evaluate at most (--chunks; ≤ 0: all)
 * @param threads   compute threads (0: all processors)
 */
public record EvalOptions(int ctx, int batch, int maxChunks, int threads) {
    public EvalOptions {
        if (ctx < 4) throw new IllegalArgumentException("--ctx must be at least 4, got " + ctx);
        if (batch < 1) throw new IllegalArgumentException("--batch must be positive, got " + batch);
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
    }

    public static EvalOptions defaults() {
        return new EvalOptions(512, 2048, -1, 0);
    }
}
