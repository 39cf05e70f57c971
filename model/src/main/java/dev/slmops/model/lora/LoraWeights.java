package dev.slmops.model.lora;

/**
 * The low-rank update of one projection: {@code y += scale * B (A x)}.
 *
 * <p>A is [r, in] and B is [out, r], row-major, stored at offsets of (possibly shared) float buffers so a trainer can
 * keep them inside its flat parameter buffer and the engine reads the live values.
 *
 * @param scale alpha / r (or alpha / sqrt(r) for rsLoRA)
 */
public record LoraWeights(int r, int in, int out, float scale, float[] a, int aOffset, float[] b, int bOffset) {
}
