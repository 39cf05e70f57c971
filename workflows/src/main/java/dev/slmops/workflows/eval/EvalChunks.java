package dev.slmops.workflows.eval;

import dev.slmops.model.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * The evaluation text cut as llama-perplexity cuts it: the whole text tokenized once (with the model's BOS, no
 * EOS), then split into {@code chunks} windows of {@code ctx} tokens; a trailing partial window is dropped. Each
 * window is evaluated on its own from position 0 with its first token replaced by BOS (when the model adds BOS),
 * and only its second half is scored: positions {@code first = ctx / 2 .. ctx - 2} predict tokens
 * {@code first + 1 .. ctx - 1}, i.e. {@code ctx - 1 - first} scored tokens per window.
 *
 * @param tokens the text's tokens, [chunks * ctx] (the original ones, no BOS substituted)
 * @param bos    the BOS id substituted at each window's start, or -1 when the model adds no BOS
 */
public record EvalChunks(int[] tokens, int ctx, int chunks, int bos) {

    public EvalChunks {
        if (ctx < 4) throw new IllegalArgumentException("context must be at least 4 tokens, got " + ctx);
        if (tokens.length != (long) ctx * chunks) {
            throw new IllegalArgumentException(tokens.length + " tokens are not " + chunks + " windows of " + ctx);
        }
    }

    /**
     * @param maxChunks at most this many windows (≤ 0: all that fit)
     * @param source    the data file's name, for error messages
     */
    public static EvalChunks of(Tokenizer tokenizer, String text, int ctx, int maxChunks, String source) {
        if (ctx < 4) throw new IllegalArgumentException("--ctx must be at least 4, got " + ctx);
        // What the tokenizer wraps around any text: encode("") is [BOS] when it adds BOS, [.., EOS] when it adds EOS.
        int[] wrap = tokenizer.encode("", true);
        int bos = tokenizer.specials().bos().orElse(-1);
        boolean addsBos = bos >= 0 && wrap.length > 0 && wrap[0] == bos;
        if (wrap.length > (addsBos ? 1 : 0)) {
            throw new IllegalArgumentException("the tokenizer appends " + tokenizer.token(wrap[wrap.length - 1])
                    + " to every text (add_eos_token); perplexity needs one that does not, as llama-perplexity does");
        }
        int[] all = tokenizer.encode(text, true);
        if (all.length < 2 * ctx) {
            throw new IllegalArgumentException(source + " tokenizes to only " + all.length + " tokens; a context of "
                    + ctx + " needs at least " + 2 * ctx + ": use more text or a smaller --ctx");
        }
        int chunks = all.length / ctx;
        if (maxChunks > 0) chunks = Math.min(chunks, maxChunks);
        return new EvalChunks(Arrays.copyOf(all, chunks * ctx), ctx, chunks, addsBos ? bos : -1);
    }

    /** The same windows for a model whose BOS is {@code bos} (-1: none substituted). */
    public EvalChunks withBos(int bos) {
        return new EvalChunks(tokens, ctx, chunks, bos);
    }

    /** BOS as the model adds it: its id when encode("") gives [BOS], else -1. */
    public static int addedBos(Tokenizer tokenizer) {
        int[] wrap = tokenizer.encode("", true);
        int bos = tokenizer.specials().bos().orElse(-1);
        return bos >= 0 && wrap.length > 0 && wrap[0] == bos ? bos : -1;
    }

    /** First scored position of a window. */
    public int first() {
        return ctx / 2;
    }

    /** Tokens scored per window. */
    public int scoredPerChunk() {
        return ctx - 1 - first();
    }

    /** Window {@code c} as the model sees it: BOS at position 0 when the model adds BOS. */
    public int[] input(int c) {
        int[] w = Arrays.copyOfRange(tokens, c * ctx, (c + 1) * ctx);
        if (bos >= 0) w[0] = bos;
        return w;
    }

    /** The token at position {@code pos} of window {@code c} (original, not BOS-substituted). */
    public int token(int c, int pos) {
        return tokens[c * ctx + pos];
    }
}
