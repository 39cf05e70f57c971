package dev.slmops.model.generate.constrain;

/**
 * Restricts which tokens may come next so that the generated text is always a prefix of some valid output
 * (JSON for a schema, a tool call ...). One instance per generated sequence; not thread-safe.
 *
 * <p>The generator calls, each step: {@link #mask} on the logits, samples, then {@link #accept} with the sampled
 * token. End-of-generation tokens are allowed by {@link #mask} only when {@link #isComplete()}; when the output
 * is complete and nothing may follow ({@code !canContinue()}), the generator stops without another step.
 */
public interface TokenConstraint {

    /**
     * Sets {@code logits[off + t]} to -infinity for every token t that cannot come next.
     *
     * @param logits [V] at {@code off}
     * @return how many tokens remain allowed (0 only if the vocabulary cannot spell any valid continuation)
     */
    int mask(float[] logits, int off);

    /** Advances past {@code token}; throws IllegalArgumentException if the token was not allowed. */
    void accept(int token);

    /** The output so far is a whole valid output: end-of-generation is allowed. */
    boolean isComplete();

    /** More text may follow what was generated so far. */
    boolean canContinue();
}
