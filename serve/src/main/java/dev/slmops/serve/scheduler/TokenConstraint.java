package dev.slmops.serve.scheduler;

/**
 * Restricts which tokens a sequence may sample next (structured output: only tokens that keep the text a prefix of
 * valid JSON / of a schema's language). One instance per sequence, used on the decode thread only.
 */
public interface TokenConstraint {

    /** Sets the logits of every token that may not come next to -infinity. logits: [V] at off. */
    void mask(float[] logits, int off, int vocabSize);

    /** The token that was sampled (it passed the mask). */
    void accept(int token);

    /** True once the output is complete: the sequence then ends with finish reason "stop". */
    boolean complete();
}
