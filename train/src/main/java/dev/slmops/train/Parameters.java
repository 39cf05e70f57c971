package dev.slmops.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The trainable parameters of a model as one flat buffer of values and one of gradients, the same layout, so the
 * optimizer, gradient clipping and checkpoints run over plain arrays. Each {@link Entry} is a named view
 * (offset, shape) into both. Java arrays hold up to 2^31-1 floats: enough for full fine-tuning up to ~2B parameters.
 */
public final class Parameters {
    /** A named tensor inside the flat buffers; {@code decay} says whether AdamW applies weight decay to it. */
    public record Entry(String name, int[] shape, int offset, int length, boolean decay) {
    }

    private final float[] values;
    private final float[] grads;
    private final List<Entry> entries;

    public Parameters(float[] values, float[] grads, List<Entry> entries) {
        if (values.length != grads.length) throw new IllegalArgumentException("values and grads differ in length");
        this.values = values;
        this.grads = grads;
        this.entries = Collections.unmodifiableList(new ArrayList<>(entries));
    }

    /** [P] all parameter values, entry after entry. */
    public float[] values() {
        return values;
    }

    /** [P] the gradients, accumulated (+=) by {@link Trainable#forwardBackward}. */
    public float[] grads() {
        return grads;
    }

    public List<Entry> entries() {
        return entries;
    }

    public int size() {
        return values.length;
    }

    public void zeroGrads() {
        java.util.Arrays.fill(grads, 0f);
    }
}
