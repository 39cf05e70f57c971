package dev.slmops.train.loop;

/**
 * Implemented by a {@link dev.slmops.train.Trainable} that draws random numbers (LoRA dropout), so checkpoints can
 * save and restore its generator and a resumed run stays bit for bit identical to an uninterrupted one.
 */
public interface RandomState {
    /** The generator's state as longs (opaque to the trainer). */
    long[] randomState();

    void restoreRandomState(long[] state);
}
