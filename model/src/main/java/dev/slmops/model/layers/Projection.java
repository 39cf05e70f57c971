package dev.slmops.model.layers;

import dev.slmops.tensor.parallel.WorkerPool;

/**
 * One projection y = x W^T (+ b) with its backward beside it: the weight kinds of the model (inference's repacked
 * {@code engine.Linear}, trainable F32 {@link DenseProjection}, frozen stored-dtype {@link FrozenProjection}). LoRA
 * adapters attach on top by {@link #name()} (see {@code model.lora.LoraProjection}).
 *
 * <pre>  x [T, in]  y [T, out]  dy [T, out]  dx [T, in]   (rows contiguous, T = rows)</pre>
 */
public interface Projection {
    /** The Hugging Face module name ({@code model.layers.3.self_attn.q_proj}, {@code lm_head}): adapters key on it. */
    String name();

    int in();

    int out();

    /** y[T, out] = x[T, in] W^T + b (overwrites y). */
    void forward(float[] x, int rows, float[] y, WorkerPool pool);

    /**
     * {@link #forward} for a caller that no longer needs x: an implementation may overwrite it (quantized inference
     * weights round it in place for their kernels instead of into a copy). The same y.
     */
    default void forwardOverwritingInput(float[] x, int rows, float[] y, WorkerPool pool) {
        forward(x, rows, y, pool);
    }

    /**
     * Given the forward's input x and dy = d loss / d y: dx += dy W (when dx is not null) and the gradients of the
     * trainable parts (W, b) += their share.
     */
    void backward(float[] x, float[] dy, int rows, float[] dx, WorkerPool pool);
}
