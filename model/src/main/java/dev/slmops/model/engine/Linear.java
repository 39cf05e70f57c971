package dev.slmops.model.engine;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.matmul.PackedWeights;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;

/**
 * One projection {@code y = x W^T + b}, the single place every matmul of the model goes through (so LoRA
 * adapters, quantized weights and fast kernels attach here once).
 *
 * <pre>
 *   x [T, in]  W [out, in] (any stored dtype)  b [out] or none  ->  y [T, out]
 * </pre>
 */
public final class Linear {
    final String name;
    final int in;
    final int out;
    private final StoredTensor weight;
    private final float[] bias; // [out] or null
    private final PackedWeights packed; // the fast kernels' layout, or null where the dtype has none

    Linear(String name, StoredTensor weight, float[] bias) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException(name + " must be a matrix, got shape " + weight);
        }
        this.name = name;
        this.out = Math.toIntExact(weight.dim(0));
        this.in = Math.toIntExact(weight.dim(1));
        this.weight = weight;
        if (bias != null && bias.length != out) {
            throw new IllegalArgumentException(name + " bias has " + bias.length + " entries for " + out + " outputs");
        }
        this.bias = bias;
        this.packed = PackedWeights.supports(weight.dtype())
                ? PackedWeights.pack(weight.dtype(), weight.data(), 0, out, in) : null;
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }

    /** y[T, out] = x[T, in] W^T + b, on the pool's threads. */
    public void forward(float[] x, int rows, float[] y, WorkerPool pool) {
        if (packed == null) {
            forwardReference(x, rows, y);
            return;
        }
        packed.matmul(x, 0, y, 0, rows, pool);
        if (bias != null) {
            for (int t = 0; t < rows; t++) {
                int yo = t * out;
                for (int o = 0; o < out; o++) y[yo + o] += bias[o];
            }
        }
    }

    /** The same product, naively: the reference the fast path is tested against. */
    public void forwardReference(float[] x, int rows, float[] y) {
        // Naive reference path: dequantize one weight row at a time, dot with every input row, in double.
        float[] w = new float[in];
        long rowBytes = weight.dtype().bytesFor(in);
        for (int o = 0; o < out; o++) {
            Dequantize.toFloat(weight.dtype(), weight.data(), o * rowBytes, w, 0, in);
            for (int t = 0; t < rows; t++) {
                double s = 0;
                int xo = t * in;
                for (int i = 0; i < in; i++) s += (double) x[xo + i] * w[i];
                y[t * out + o] = (float) (bias == null ? s : s + bias[o]);
            }
        }
    }
}
