package dev.slmops.model.layers;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;

import java.lang.foreign.MemorySegment;

/**
 * The token embedding table [V, D]: trainable F32 rows in the flat parameter buffer, or frozen rows read as floats
 * from wherever they are kept (the stored dtype in the file, or a tied output projection's repacked copy).
 * Forward: x[t] = scale * E[token_t]; backward: dE[token_t] += scale * dx[t].
 */
public final class Embedding {
    /** Frozen rows: E[token][0 .. D) as floats into dst[off .. off + D). */
    @FunctionalInterface
    public interface Rows {
        void read(int token, float[] dst, int off);
    }

    private final int dim;
    private final float scale;
    private final float[] values, grads; // trainable: [V, D] at off
    private final int off;
    private final Rows rows;             // frozen

    private Embedding(int dim, float scale, float[] values, float[] grads, int off, Rows rows) {
        this.dim = dim;
        this.scale = scale;
        this.values = values;
        this.grads = grads;
        this.off = off;
        this.rows = rows;
    }

    public static Embedding trainable(int dim, float scale, float[] values, float[] grads, int off) {
        return new Embedding(dim, scale, values, grads, off, null);
    }

    /** Rows [V, D] stored as {@code dtype} in {@code data} (a file's mapping: each lookup faults its pages in). */
    public static Embedding frozen(int dim, float scale, DType dtype, MemorySegment data) {
        long rowBytes = dtype.bytesFor(dim);
        return frozen(dim, scale, (token, dst, at) -> Dequantize.toFloat(dtype, data, token * rowBytes, dst, at, dim));
    }

    public static Embedding frozen(int dim, float scale, Rows rows) {
        return new Embedding(dim, scale, null, null, 0, rows);
    }

    /** This frozen table with its rows read from {@code rows} instead (the same values kept elsewhere). */
    public Embedding readingRowsFrom(Rows rows) {
        if (values != null) throw new IllegalStateException("a trainable embedding reads its own rows");
        return frozen(dim, scale, rows);
    }

    /** x[t*D ..] = scale * E[tokens[t]] for every row t. */
    public void forward(int[] tokens, float[] x) {
        for (int t = 0; t < tokens.length; t++) {
            if (values != null) System.arraycopy(values, off + tokens[t] * dim, x, t * dim, dim);
            else rows.read(tokens[t], x, t * dim);
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
