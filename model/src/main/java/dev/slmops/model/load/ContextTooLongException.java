package dev.slmops.model.load;

/**
 * A context longer than the model supports was asked for: carries both lengths, so that a caller can say what to
 * change in its own terms (a CLI's --ctx, a benchmark's -p and -n).
 */
public final class ContextTooLongException extends IllegalArgumentException {
    private final int requested;
    private final int limit;

    public ContextTooLongException(int requested, int limit) {
        super("a context of " + requested + " tokens exceeds the model's " + limit + ": use a context of at most "
                + limit + " tokens (--ctx)");
        this.requested = requested;
        this.limit = limit;
    }

    /** The context asked for, in tokens. */
    public int requested() {
        return requested;
    }

    /** The model's context length (max_position_embeddings). */
    public int limit() {
        return limit;
    }
}
