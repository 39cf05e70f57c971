package dev.slmops.model.layers;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.matmul.Gemm;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;

import java.lang.foreign.MemorySegment;

/**
 * A frozen projection in its stored dtype (F32, F16, BF16, Q8_0, Q4_0, K-quants: the QLoRA base). Both the forward
 * and dx = dy W dequantize W a tile of {@link #TILE} rows at a time into F32 and run the GEMM on the tile, so no
 * F32 copy of the matrix is ever held (TILE x in floats per call instead).
 */
public final class FrozenProjection implements Projection {
    /** Output rows dequantized at once. */
    static final int TILE = 128;

    private final String name;
    private final int in, out;
    private final DType dtype;
    private final MemorySegment data; // [out, in] in dtype, row after row
    private final long rowBytes;
    private final Vec bias;           // frozen [out] or null

    public FrozenProjection(String name, DType dtype, MemorySegment data, int out, int in, Vec bias) {
        if (in % dtype.blockSize != 0) {
            throw new IllegalArgumentException(name + ": rows of " + in + " values do not split into " + dtype
                    + " blocks of " + dtype.blockSize);
        }
        this.name = name;
        this.in = in;
        this.out = out;
        this.dtype = dtype;
        this.data = data;
        this.rowBytes = dtype.bytesFor(in);
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

    /** Rows [o0, o0 + n) of W as F32 into tile [n, in]. */
    private void dequantize(int o0, int n, float[] tile) {
        for (int o = 0; o < n; o++) Dequantize.toFloat(dtype, data, (o0 + o) * rowBytes, tile, o * in, in);
    }

    @Override
    public void forward(float[] x, int rows, float[] y, WorkerPool pool) {
        float[] tile = new float[Math.min(TILE, out) * in];
        for (int o0 = 0; o0 < out; o0 += TILE) {
            int n = Math.min(TILE, out - o0);
            dequantize(o0, n, tile);
            Gemm.abT(rows, n, in, x, 0, in, tile, 0, in, y, o0, out, false, pool); // y[:, o0:o0+n] = x W_tile^T
        }
        if (bias != null) Bias.add(bias, y, rows);
    }

    @Override
    public void backward(float[] x, float[] dy, int rows, float[] dx, WorkerPool pool) {
        if (dx == null) return;
        float[] tile = new float[Math.min(TILE, out) * in];
        for (int o0 = 0; o0 < out; o0 += TILE) {
            int n = Math.min(TILE, out - o0);
            dequantize(o0, n, tile);
            Gemm.ab(rows, in, n, dy, o0, out, tile, 0, in, dx, 0, in, true, pool); // dx += dy[:, o0:o0+n] W_tile
        }
    }
}
