package dev.slmops.testkit.llama;

import java.util.Arrays;

/**
 * llama-perplexity's method replayed on llama.cpp's own tokenizer and logits (the package ships llama.cpp's libraries
 * but not the llama-perplexity program): the text is tokenized with BOS and cut into windows of {@code ctx} tokens;
 * each window gets BOS at position 0 (when the model adds one) and only its second half is scored, the row at
 * position p predicting token p+1. Positions first = ctx/2 .. ctx-2 are scored: ctx - 1 - ctx/2 rows per window.
 * The parity tests of perplexity and KL divergence and {@link LlamaKldMain} use it.
 */
public final class LlamaPerplexity {
    private LlamaPerplexity() {
    }

    /** First scored position of a window of {@code ctx} tokens. */
    public static int firstScored(int ctx) {
        return ctx / 2;
    }

    /** Scored rows per window of {@code ctx} tokens. */
    public static int scoredPerWindow(int ctx) {
        return ctx - 1 - firstScored(ctx);
    }

    /** The text as llama.cpp tokenizes it for perplexity: with BOS (when the model adds one), specials as text. */
    public static int[] tokens(LlamaCpp.Model model, String text) {
        return model.tokenize(text, true, false);
    }

    /** Whole windows of {@code ctx} tokens in {@code tokens}, at most {@code maxChunks} (0 or less: all). */
    public static int windows(int[] tokens, int ctx, int maxChunks) {
        int all = tokens.length / ctx;
        return maxChunks > 0 ? Math.min(all, maxChunks) : all;
    }

    /**
     * llama.cpp's logits of the scored positions of window {@code chunk}: one decode of a fresh sequence.
     *
     * @param context a context of at least {@code ctx} positions (F32 K/V for tight comparisons)
     * @return [scoredPerWindow(ctx)][nVocab] raw logits; row r predicts {@code tokens[chunk * ctx + firstScored(ctx) + r + 1]}
     */
    public static float[][] scoredLogits(LlamaCpp.Model model, LlamaCpp.Context context, int[] tokens, int ctx, int chunk) {
        if ((long) (chunk + 1) * ctx > tokens.length) {
            throw new IllegalArgumentException("window " + chunk + " of " + ctx + " tokens needs " + (long) (chunk + 1) * ctx
                    + " tokens; the text has " + tokens.length + ": give a longer text or fewer chunks");
        }
        int[] window = Arrays.copyOfRange(tokens, chunk * ctx, (chunk + 1) * ctx);
        if (model.addsBos()) window[0] = model.bos();
        float[][] logits = context.logitsAll(window);
        return Arrays.copyOfRange(logits, firstScored(ctx), ctx - 1);
    }

    /** log softmax of one row, in double. */
    public static double[] logSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : x) max = Math.max(max, v);
        for (float v : x) sum += Math.exp(v - max);
        double logZ = max + Math.log(sum);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - logZ;
        return out;
    }

    /** Index of the largest value (lowest index on ties). */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
