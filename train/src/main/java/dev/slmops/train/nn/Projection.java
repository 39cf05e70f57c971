package dev.slmops.train.nn;

import dev.slmops.tensor.parallel.WorkerPool;

/**
 * One projection y = x W^T (+ b) of the training transformer, with its backward beside it.
 *
 * <pre>  x [T, in]  y [T, out]  dy [T, out]  dx [T, in]   (rows contiguous, T = rows)</pre>
 */
public interface Projection {
    int in();

    int out();

    /** y[T, out] = x[T, in] W^T + b (overwrites y). */
    void forward(float[] x, int rows, float[] y, WorkerPool pool);

    /**
     * Given the forward's input x and dy = d loss / d y: dx += dy W (when dx is not null) and the gradients of the
     * trainable parts (W, b, or adapter matrices) += their share.
     */
    void backward(float[] x, float[] dy, int rows, float[] dx, WorkerPool pool);
}
