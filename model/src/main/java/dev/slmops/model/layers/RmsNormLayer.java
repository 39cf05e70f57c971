package dev.slmops.model.layers;

import dev.slmops.tensor.ops.RmsNorm;

/**
 * RMSNorm over rows of n floats (n = D for the block norms, Dh per head for q/k norms), forward and backward side by
 * side: {@code y = x / rms(x) * w} (Gemma: {@code * (1 + w)}). It keeps nothing: the backward reads the forward's
 * input x again.
 */
public final class RmsNormLayer {
    private final float eps;
    private final boolean plusOne;

    public RmsNormLayer(float eps, boolean plusOne) {
        this.eps = eps;
        this.plusOne = plusOne;
    }

    /** out[rows, n] = norm(x[rows, n]) * weight; out may be x (in place). */
    public void forward(float[] out, float[] x, Vec weight, int rows, int n) {
        forward(out, 0, x, 0, weight, rows, n);
    }

    /** The same from offsets: out[outOff ..] = norm(x[xOff ..]) for rows rows. */
    public void forward(float[] out, int outOff, float[] x, int xOff, Vec weight, int rows, int n) {
        float[] w = weight.dense();
        for (int r = 0; r < rows; r++) RmsNorm.apply(out, outOff + r * n, x, xOff + r * n, w, n, eps, plusOne);
    }

    /** dx[rows, n] += d norm / d x applied to dy; the weight's gradient accumulates when it is trainable. */
    public void backward(float[] dx, float[] dy, float[] x, Vec weight, int rows, int n) {
        float[] w = weight.dense();
        float[] dw = weight.grads();
        for (int r = 0; r < rows; r++) RmsNorm.backward(dx, r * n, dw, weight.off(), dy, r * n, x, r * n, w, n, eps, plusOne);
    }
}
