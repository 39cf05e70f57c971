package dev.slmops.model.layers;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;

import java.lang.foreign.MemorySegment;

/**
 * The token embedding table [V, D]: trainable F32 rows in the flat parameter buffer, or frozen rows in the stored
 * dtype. Forward: x[t] = scale * E[token_t]; backward: dE[token_t] += scale * dx[t].
 */
public final class Embedding {
    private final int dim;
    private final float scale;
    private final float[] values, grads; // trainable: [V, D] at off
    private final int off;
    private final DType dtype;           // frozen: the stored rows
    private final MemorySegment data;

    private Embedding(int dim, float scale, float[] values, float[] grads, int off, DType dtype, MemorySegment data) {
        this.dim = dim;
        this.scale = scale;
        this.values = values;
        this.grads = grads;
        this.off = off;
        this.dtype = dtype;
        this.data = data;
    }

    public static Embedding trainable(int dim, float scale, float[] values, float[] grads, int off) {
        return new Embedding(dim, scale, values, grads, off, null, null);
    }

    public static Embedding frozen(int dim, float scale, DType dtype, MemorySegment data) {
        return new Embedding(dim, scale, null, null, 0, dtype, data);
    }

    /** x[t*D ..] = scale * E[tokens[t]] for every row t. */
    public void forward(int[] tokens, float[] x) {
        for (int t = 0; t < tokens.length; t++) {
            if (values != null) System.arraycopy(values, off + tokens[t] * dim, x, t * dim, dim);
            else Dequantize.toFloat(dtype, data, tokens[t] * dtype.bytesFor(dim), x, t * dim, dim);
            if (scale != 1f) for (int i = 0; i < dim; i++) x[t * dim + i] *= scale;
        }
    }

    /** dE[tokens[t]] += scale * dx[t] (nothing when frozen). */
    public void backward(int[] tokens, float[] dx) {
        if (grads == null) return;
        for (int t = 0; t < tokens.length; t++) {
            int g = off + tokens[t] * dim;
            for (int i = 0; i < dim; i++) grads[g + i] += scale * dx[t * dim + i];
        }
    }
}
