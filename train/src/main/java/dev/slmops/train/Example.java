package dev.slmops.train;

/**
 * One training sequence after tokenization: the token ids and which of them are predicted.
 *
 * <p>{@code lossOn[i]} says whether token {@code i} is a target, predicted from tokens {@code 0..i-1}; {@code lossOn[0]}
 * is always ignored (nothing predicts the first token). Prompt tokens of a prompt/completion record are off when the
 * loss is on completions only.
 *
 * @param tokens [T] token ids
 * @param lossOn [T] whether token i contributes to the loss
 */
public record Example(int[] tokens, boolean[] lossOn) {
    public Example {
        if (tokens.length != lossOn.length) {
            throw new IllegalArgumentException("tokens and lossOn differ in length: " + tokens.length + " vs " + lossOn.length);
        }
    }

    /** Number of predicted tokens (the loss denominator contribution of this example). */
    public int targets() {
        int n = 0;
        for (int i = 1; i < lossOn.length; i++) if (lossOn[i]) n++;
        return n;
    }
}
