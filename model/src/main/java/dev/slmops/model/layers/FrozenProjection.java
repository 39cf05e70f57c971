package dev.slmops.model.layers;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.matmul.Gemm;
import dev.slmops.tensor.parallel.ThreadScratch;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;

import java.lang.foreign.MemorySegment;

/**
 * A frozen projection in its stored dtype (F32, F16, BF16, Q8_0, Q4_0, K-quants: the QLoRA base). Both the forward
 * and dx = dy W dequantize W a tile of rows at a time into F32 (at most {@link #TILE_FLOATS} floats, the whole
 * matrix when it fits: every layer matrix of a 135M-0.5B model, a few tiles of an LM head) and run the GEMM on the
 * tile, so no F32 copy of the matrix is held beyond one tile per calling thread.
 *
 * <p>Why big tiles: a tile of n rows is a GEMM with N = n (forward) or K = n (dx). At 128 rows the forward had 4
 * column panels, too few for the threads, so the GEMM split the rows as well and re-packed (transposed) each panel
 * for every 48 rows; dx summed into all of dx [T, in] once per 128 rows of W. Both cost more than the products.
 */
public final class FrozenProjection implements Projection {
    /** Floats of one dequantized tile: 16 MiB (qwen2.5-0.5b's 4864 x 896 MLP matrices fit in one). */
    static final int TILE_FLOATS = 1 << 22;

    /** The tile of the calling thread, reused across calls and projections (grown on demand). */
    private static final ThreadScratch TILE = new ThreadScratch();

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

    /** Rows of W per tile: as many as {@link #TILE_FLOATS} holds (at least one), a multiple of 64 when split. */
    private int tileRows() {
        int rows = Math.max(1, TILE_FLOATS / in);
        return rows >= out ? out : Math.max(1, rows & ~63);
    }

    /** The calling thread's tile buffer, of at least n floats. */
    private static float[] tile(int n) {
        float[] t = TILE.atLeast(n);
        return t;
    }

    /** A thread that owns nothing: a segment it may read is readable by the pool's workers too. */
    private static final Thread ANOTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    /**
     * Rows [o0, o0 + n) of W as F32 into tile [n, in], blocks of rows spread over the pool when other threads may
     * read the weights (a confined arena's segment is read on the calling thread only).
     */
    private void dequantize(int o0, int n, float[] tile, WorkerPool pool) {
        final int block = 64;
        if (!data.isAccessibleBy(ANOTHER_THREAD)) {
            for (int o = 0; o < n; o++) Dequantize.toFloat(dtype, data, (o0 + o) * rowBytes, tile, o * in, in);
            return;
        }
        pool.parallelFor((n + block - 1) / block, b -> {
            for (int o = b * block, e = Math.min(n, o + block); o < e; o++) {
                Dequantize.toFloat(dtype, data, (o0 + o) * rowBytes, tile, o * in, in);
            }
        });
    }

    @Override
    public void forward(float[] x, int rows, float[] y, WorkerPool pool) {
        int step = tileRows();
        float[] tile = tile(step * in);
        for (int o0 = 0; o0 < out; o0 += step) {
            int n = Math.min(step, out - o0);
            dequantize(o0, n, tile, pool);
            Gemm.abT(rows, n, in, x, 0, in, tile, 0, in, y, o0, out, false, pool); // y[:, o0:o0+n] = x W_tile^T
        }
        if (bias != null) Bias.add(bias, y, rows);
    }

    @Override
    public void backward(float[] x, float[] dy, int rows, float[] dx, WorkerPool pool) {
        if (dx == null) return;
        int step = tileRows();
        float[] tile = tile(step * in);
        for (int o0 = 0; o0 < out; o0 += step) {
            int n = Math.min(step, out - o0);
            dequantize(o0, n, tile, pool);
            Gemm.ab(rows, in, n, dy, o0, out, tile, 0, in, dx, 0, in, true, pool); // dx += dy[:, o0:o0+n] W_tile
        }
    }
}
