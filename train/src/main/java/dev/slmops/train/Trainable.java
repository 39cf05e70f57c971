package dev.slmops.train;

import java.util.List;

/**
 * What the trainer loop drives: a model (full weights, or a LoRA adapter over a frozen base) whose forward and
 * backward run over a micro-batch of examples. The optimizer, schedules, accumulation, checkpoints and evaluation
 * live above this interface; the backward passes below it.
 */
public interface Trainable {
    /** The parameters being trained (all weights for full fine-tuning, adapter matrices for LoRA/QLoRA). */
    Parameters parameters();

    /**
     * Forward and backward over the examples: ADDS d(loss sum)/d(parameter) into {@code parameters().grads()} (the
     * caller zeroes them and divides by the token count) and returns the summed loss.
     */
    Loss forwardBackward(List<Example> batch);

    /** Forward only (no activations kept, no gradients). */
    Loss evaluate(List<Example> batch);
}
