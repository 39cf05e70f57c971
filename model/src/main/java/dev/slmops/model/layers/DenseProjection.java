package dev.slmops.model.layers;

import dev.slmops.tensor.matmul.Gemm;
import dev.slmops.tensor.parallel.WorkerPool;

/**
 * A trainable F32 projection (full fine-tuning): W [out, in] at {@code wOff} of the flat parameter buffer, its
 * gradient at the same offset of the gradient buffer, and an optional bias.
 */
public final class DenseProjection implements Projection {
    private final String name;
    private final int in, out;
    private final float[] values, grads;
    private final int wOff;
    private final Vec bias; // [out] or null

    public DenseProjection(String name, int out, int in, float[] values, float[] grads, int wOff, Vec bias) {
        this.name = name;
        this.in = in;
        this.out = out;
        this.values = values;
        this.grads = grads;
        this.wOff = wOff;
        this.bias = bias;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int in() {
        return in;
    }

    @Override
    public int out() {
        return out;
    }

    @Override
    public void forward(float[] x, int rows, float[] y, WorkerPool pool) {
        Gemm.abT(rows, out, in, x, 0, in, values, wOff, in, y, 0, out, false, pool); // y = x W^T
        if (bias != null) Bias.add(bias, y, rows);
    }

    @Override
    public void backward(float[] x, float[] dy, int rows, float[] dx, WorkerPool pool) {
        if (dx != null) Gemm.ab(rows, in, out, dy, 0, out, values, wOff, in, dx, 0, in, true, pool);      // dx += dy W
        if (grads != null) Gemm.aTb(out, in, rows, dy, 0, out, x, 0, in, grads, wOff, in, true, pool);   // dW += dy^T x
        if (bias != null) Bias.backward(bias, dy, rows);
    }
}
