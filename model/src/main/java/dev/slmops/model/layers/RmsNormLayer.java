package dev.slmops.model.layers;

import dev.slmops.tensor.ops.RmsNorm;
import dev.slmops.tensor.parallel.WorkerPool;

/**
 * RMSNorm over rows of n floats (n = D for the block norms, Dh per head for q/k norms), forward and backward side by
 * side: {@code y = x / rms(x) * w} (Gemma: {@code * (1 + w)}). It keeps nothing: the backward reads the forward's
 * input x again.
 *
 * <p>With a pool, blocks of {@link #ROWS_PER_TASK} rows run on its threads (rows are independent: the same bits as
 * one pass); a trainable weight's gradient then sums each block's rows into a partial of its own and adds the
 * partials in block order, so the result does not depend on the number of threads.
 */
public final class RmsNormLayer {
    private final float eps;
    private final boolean plusOne;

    /** Rows per task when a pool is given. */
    static final int ROWS_PER_TASK = 32;

    private final WorkerPool pool; // null: every row on the calling thread

    public RmsNormLayer(float eps, boolean plusOne) {
        this(eps, plusOne, null);
    }

    /** A norm whose passes over many rows run on {@code pool} (null: on the calling thread). */
    public RmsNormLayer(float eps, boolean plusOne, WorkerPool pool) {
        this.eps = eps;
        this.plusOne = plusOne;
        this.pool = pool;
    }

    private int tasks(int rows) {
        return pool == null ? 1 : (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    }

    /** out[rows, n] = norm(x[rows, n]) * weight; out may be x (in place). */
    public void forward(float[] out, float[] x, Vec weight, int rows, int n) {
        forward(out, 0, x, 0, weight, rows, n);
    }

    /** The same from offsets: out[outOff ..] = norm(x[xOff ..]) for rows rows. */
    public void forward(float[] out, int outOff, float[] x, int xOff, Vec weight, int rows, int n) {
        float[] w = weight.dense();
        int tasks = tasks(rows);
        if (tasks <= 1) {
            for (int r = 0; r < rows; r++) RmsNorm.apply(out, outOff + r * n, x, xOff + r * n, w, n, eps, plusOne);
            return;
        }
        pool.parallelFor(tasks, b -> {
            for (int r = b * ROWS_PER_TASK, e = Math.min(rows, r + ROWS_PER_TASK); r < e; r++) {
                RmsNorm.apply(out, outOff + r * n, x, xOff + r * n, w, n, eps, plusOne);
            }
        });
    }

    /** dx[rows, n] += d norm / d x applied to dy; the weight's gradient accumulates when it is trainable. */
    public void backward(float[] dx, float[] dy, float[] x, Vec weight, int rows, int n) {
        float[] w = weight.dense();
        float[] dw = weight.grads();
        int tasks = tasks(rows);
        if (tasks <= 1) {
            for (int r = 0; r < rows; r++) RmsNorm.backward(dx, r * n, dw, weight.off(), dy, r * n, x, r * n, w, n, eps, plusOne);
            return;
        }
        float[][] partial = dw == null ? null : new float[tasks][n]; // [block][n] d w of the block's rows
        pool.parallelFor(tasks, b -> {
            float[] pw = partial == null ? null : partial[b];
            for (int r = b * ROWS_PER_TASK, e = Math.min(rows, r + ROWS_PER_TASK); r < e; r++) {
                RmsNorm.backward(dx, r * n, pw, 0, dy, r * n, x, r * n, w, n, eps, plusOne);
            }
        });
        if (partial != null) {
            for (float[] pw : partial) {
                for (int i = 0; i < n; i++) dw[weight.off() + i] += pw[i];
            }
        }
    }
}
