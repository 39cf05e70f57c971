package dev.slmops.serve.scheduler;

/**
 * Restricts which tokens a sequence may sample next (structured output: only tokens that keep the text a prefix of
 * valid JSON / of a schema's language). One instance per sequence, used by one thread at a time. The same contract
 * as the constrained-decoding library's {@code dev.slmops.model.generate.constrain.TokenConstraint}, which plugs in
 * through {@link dev.slmops.serve.api.ResponseFormats.Provider} once it is on main.
 */
public interface TokenConstraint {

    /**
     * Sets logits[off + t] to -infinity for every token t that may not come next (end-of-generation tokens included
     * until the output is complete).
     *
     * @return how many tokens remain allowed (0: no valid continuation)
     */
    int mask(float[] logits, int off);

    /** The token that was sampled (it passed the mask). */
    void accept(int token);

    /** The output so far is a whole valid output: end-of-generation is allowed. */
    boolean isComplete();

    /** More text may follow what was generated so far. */
    boolean canContinue();
}
