package dev.slmops.model.engine;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.layers.Projection;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.matmul.ActivationRounding;
import dev.slmops.tensor.matmul.PackedWeights;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;

/**
 * One projection {@code y = x W^T + b} of inference: the weight repacked once for the fast (possibly quantized)
 * kernels. Forward only: training binds its weights as {@link dev.slmops.model.layers.DenseProjection} (trainable)
 * or {@link dev.slmops.model.layers.FrozenProjection} (frozen) to the same architecture code.
 *
 * <pre>
 *   x [T, in]  W [out, in] (any stored dtype)  b [out] or none  ->  y [T, out]
 * </pre>
 */
public final class Linear implements Projection {
    private final String name;
    private final int in;
    private final int out;
    private final DType dtype;
    private final float[] bias; // [out] or null
    private final PackedWeights packed; // the fast kernels' layout, or null where the dtype has none
    /** The stored matrix, kept only where no packed layout exists (so a file's copies can be freed otherwise). */
    private final StoredTensor unpacked;

    Linear(String name, StoredTensor weight, float[] bias) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException(name + " must be a matrix, got shape " + weight);
        }
        this.name = name;
        this.out = Math.toIntExact(weight.dim(0));
        this.in = Math.toIntExact(weight.dim(1));
        this.dtype = weight.dtype();
        if (bias != null && bias.length != out) {
            throw new IllegalArgumentException(name + " bias has " + bias.length + " entries for " + out + " outputs");
        }
        this.bias = bias;
        this.packed = PackedWeights.supports(weight.dtype())
                ? PackedWeights.pack(weight.dtype(), weight.data(), 0, out, in) : null;
        // The packed copy now serves every product: let the file's pages go from the resident set right away, so
        // loading never holds a matrix twice (the data stays readable: pages fault back in if it is read again).
        if (packed != null && weight.data().isMapped()) weight.data().unload();
        this.unpacked = packed == null ? weight : null;
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

    public DType dtype() {
        return dtype;
    }

    /** Whether {@link #row} reads from a repacked copy (else the rows are only in the file). */
    boolean readsRows() {
        return packed != null;
    }

    /** Row n of W [out, in] as floats into dst[off .. off + in), from the repacked copy (see {@link #readsRows}). */
    void row(int n, float[] dst, int off) {
        packed.row(n, dst, off);
    }

    /** y[T, out] = x[T, in] W^T + b, on the pool's threads. */
    @Override
    public void forward(float[] x, int rows, float[] y, WorkerPool pool) {
        forward(x, rows, y, pool, false);
    }

    /** {@link #forward}, rounding x in place where the packed weights round it ({@link PackedWeights#matmulOverwritingInput}). */
    @Override
    public void forwardOverwritingInput(float[] x, int rows, float[] y, WorkerPool pool) {
        forward(x, rows, y, pool, true);
    }

    private void forward(float[] x, int rows, float[] y, WorkerPool pool, boolean xIsScratch) {
        if (packed == null) {
            forwardUnpacked(x, rows, y);
            return;
        }
        if (xIsScratch) packed.matmulOverwritingInput(x, 0, y, 0, rows, pool);
        else packed.matmul(x, 0, y, 0, rows, pool);
        addBias(y, rows);
    }

    /** Inference weights are repacked for the forward kernels and never trained: there is no backward. */
    @Override
    public void backward(float[] x, float[] dy, int rows, float[] dx, WorkerPool pool) {
        throw new UnsupportedOperationException(name + " is bound for inference (repacked weights, forward only); "
                + "bind the model for training with ModelWeights.bind(config, WeightBinder) instead");
    }

    /**
     * y_i[T, out_i] = x[T, in] W_i^T + b_i for projections sharing their input (q/k/v; gate/up): for inference
     * weights one parallel loop runs all of them ({@link PackedWeights#matmulAll}, the decode path); other kinds run
     * one by one.
     */
    static void forwardAll(Projection[] ps, float[] x, int rows, float[][] ys, WorkerPool pool) {
        PackedWeights[] ws = new PackedWeights[ps.length];
        for (int i = 0; i < ps.length; i++) {
            ws[i] = ps[i] instanceof Linear l ? l.packed : null;
            if (ws[i] == null) { // a dtype without packed kernels, or not inference weights: one by one
                for (int j = 0; j < ps.length; j++) ps[j].forward(x, rows, ys[j], pool);
                return;
            }
        }
        PackedWeights.matmulAll(ws, x, 0, ys, rows, pool);
        for (int i = 0; i < ps.length; i++) ((Linear) ps[i]).addBias(ys[i], rows);
    }

    private void addBias(float[] y, int rows) {
        if (bias == null) return;
        for (int t = 0; t < rows; t++) {
            int yo = t * out;
            for (int o = 0; o < out; o++) y[yo + o] += bias[o];
        }
    }

    /**
     * The same product for a dtype with no packed kernel, naively: dequantize one weight row at a time and dot
     * it with every input row, in double. (The packed kernels have their naive twin in tensor's MatmulReference.)
     * x is first rounded as ggml rounds it for this weight type (Q2_K/Q3_K: q8_K), as the packed kernels do.
     */
    private void forwardUnpacked(float[] x, int rows, float[] y) {
        ActivationRounding rounding = ActivationRounding.forWeights(dtype);
        if (rounding != ActivationRounding.NONE) {
            float[] xr = new float[rows * in];
            rounding.round(x, 0, rows, in, xr, 0);
            x = xr;
        }
        float[] w = new float[in];
        long rowBytes = dtype.bytesFor(in);
        for (int o = 0; o < out; o++) {
            Dequantize.toFloat(dtype, unpacked.data(), o * rowBytes, w, 0, in);
            for (int t = 0; t < rows; t++) {
                double s = 0;
                int xo = t * in;
                for (int i = 0; i < in; i++) s += (double) x[xo + i] * w[i];
                y[t * out + o] = (float) (bias == null ? s : s + bias[o]);
            }
        }
    }
}
