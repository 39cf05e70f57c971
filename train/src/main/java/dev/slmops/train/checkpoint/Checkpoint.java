package dev.slmops.train.checkpoint;

/**
 * A full training checkpoint: the trainer's state, the parameter values and AdamW's two moments, all [P] in the
 * layout of {@link dev.slmops.train.Parameters}. {@code entryNames} lets a load refuse another model's checkpoint.
 * The best-model snapshot keeps values only: its moments are empty arrays ({@link #hasMoments()} false).
 */
public record Checkpoint(TrainerState state, String[] entryNames, float[] values, float[] firstMoment,
                         float[] secondMoment) {
    public Checkpoint {
        boolean none = firstMoment.length == 0 && secondMoment.length == 0;
        if (!none && (firstMoment.length != values.length || secondMoment.length != values.length)) {
            throw new IllegalArgumentException("checkpoint tensors differ in length: values " + values.length
                    + ", moments " + firstMoment.length + " and " + secondMoment.length);
        }
    }

    public boolean hasMoments() {
        return firstMoment.length == values.length && values.length > 0;
    }
}
