package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.ops.VectorMath;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q8_0 weights, row-major: {@code q[n*K + k]} int8 quants and {@code d[n*K/32 + b]} scales kept as the file's F16
 * bits, so W[n][k] = q[n*K + k] * d[(n*K + k)/32] (bit-identical to ggml's dequantization). The kernels widen a scale
 * where they read it (one conversion instruction per 32 weights): float scales were 1/9 of the bytes a decode step
 * reads per weight (1 + 4/32), F16 ones are 1/17 (1 + 2/32), and the repacked matrix is 6% smaller.
 *
 * <p>With int8 activations on, Q8_0 is packed as {@link Q8Groups} (rows interleaved: 2.5-3x faster GEMVs); this
 * layout serves the float paths, a file with a non-finite block scale, and is the groups' reference in tests.
 */
final class Q8Rows extends PackedWeights {
    private static final VectorSpecies<Float> F = VectorPath.F;
    private static final int L = VectorPath.L;
    private static final VectorSpecies<Byte> B = VectorPath.B;

    private final byte[] q;
    private final short[] d;
    /** Decode GEMVs round x to int8 ({@link Int8Activations}) and multiply in integers. */
    private final boolean int8;

    private Q8Rows(int rows, int cols, byte[] q, short[] d, boolean int8) {
        super(DType.Q8_0, rows, cols);
        this.q = q;
        this.d = d;
        this.int8 = int8;
    }

    static Q8Rows from(MemorySegment src, long offset, int rows, int cols, boolean int8) {
        int n = Math.multiplyExact(rows, cols);
        byte[] q = new byte[n];
        short[] d = new short[n / 32];
        ReadBehind behind = new ReadBehind(src, offset);
        for (int b = 0; b < n / 32; b++) {
            long at = offset + 34L * b;
            behind.readUpTo(at);
            d[b] = src.get(RowPacking.HALF, at);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, at + 2, q, 32 * b, 32);
        }
        behind.finish(offset + 34L * (n / 32));
        return new Q8Rows(rows, cols, q, d, int8);
    }

    @Override
    boolean roundsToInt8() {
        return int8;
    }

    @Override
    Object gemvPrepare(float[] x, int xOff) {
        return int8 ? Int8Activations.quantize(x, xOff, cols, dtype) : null;
    }

    @Override
    void gemvRange(float[] x, int xOff, Object prep, float[] y, int yOff, int n0, int n1, boolean vector) {
        if (vector && prep instanceof Int8Activations xq) {
            for (int n = n0; n < n1; n++) y[yOff + n] = dotInt8(q, d, n * cols, cols, xq.q(), xq.d());
            return;
        }
        for (int n = n0; n < n1; n++) {
            y[yOff + n] = vector ? dotVector(q, d, n * cols, cols, x, xOff) : dotScalar(n, x, xOff);
        }
    }

    /**
     * sum_b d[base/32 + b] * xd[b] * (q_b . xq_b) over one row of k elements, x rounded to int8
     * ({@link Int8Activations}). Per block: the 32 weights widen to two 16-lane short vectors, multiply the quants
     * (|q * xq| <= 128 * 127, two of them summed still fit a short), then adjacent lanes sum into 8 ints.
     */
    static float dotInt8(byte[] q, short[] d, int base, int k, short[] xq, float[] xd) {
        FloatVector acc0 = FloatVector.zero(Int8Activations.F8), acc1 = acc0;
        int sb = base / 32;
        for (int i = 0, b = 0; i < k; i += 32, b++) {
            ShortVector w0 = (ShortVector) ByteVector.fromArray(Int8Activations.B16, q, base + i)
                    .convertShape(VectorOperators.B2S, Int8Activations.S16, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromArray(Int8Activations.B16, q, base + i + 16)
                    .convertShape(VectorOperators.B2S, Int8Activations.S16, 0);
            ShortVector p = w0.mul(ShortVector.fromArray(Int8Activations.S16, xq, i))
                    .add(w1.mul(ShortVector.fromArray(Int8Activations.S16, xq, i + 16)));
            FloatVector t = (FloatVector) Int8Activations.pairSums(p).convert(VectorOperators.I2F, 0);
            FloatVector scale = FloatVector.broadcast(Int8Activations.F8, Float.float16ToFloat(d[sb + b]) * xd[b]);
            if ((b & 1) == 0) acc0 = t.fma(scale, acc0);
            else acc1 = t.fma(scale, acc1);
        }
        return VectorMath.sum(acc0.add(acc1));
    }

    private float dotScalar(int n, float[] x, int xOff) {
        float sum = 0f;
        int base = n * cols;
        for (int b = 0; b < cols / 32; b++) {
            float block = 0f;
            for (int j = 0; j < 32; j++) block = Math.fma(q[base + 32 * b + j], x[xOff + 32 * b + j], block);
            sum = Math.fma(block, Float.float16ToFloat(d[base / 32 + b]), sum);
        }
        return sum;
    }

    /**
     * sum_k q[base + k] * d[(base + k)/32] * x[xOff + k] over one row of {@code k} elements: per block the
     * quant.x products are summed in a vector t, then acc += t * d; two accumulators alternate blocks.
     */
    static float dotVector(byte[] q, short[] d, int base, int k, float[] x, int xOff) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int sb = base / 32;
        for (int i = 0; i < k; i += 32, sb++) {
            FloatVector t = blockDot(q, base + i, x, xOff + i);
            if ((sb & 1) == 0) acc0 = t.fma(FloatVector.broadcast(F, Float.float16ToFloat(d[sb])), acc0);
            else acc1 = t.fma(FloatVector.broadcast(F, Float.float16ToFloat(d[sb])), acc1);
        }
        return VectorMath.sum(acc0.add(acc1));
    }

    /** Lane-wise partial sums of q[qo..qo+32) . x[xo..xo+32) (not yet reduced). */
    static FloatVector blockDot(byte[] q, int qo, float[] x, int xo) {
        FloatVector t = pairDot(q, qo, x, xo);
        for (int j = 2 * L; j < 32; j += 2 * L) t = t.add(pairDot(q, qo + j, x, xo + j));
        return t;
    }

    /** q[qo..qo+2L) . x[xo..xo+2L), lane-wise (two vectors folded into one). */
    private static FloatVector pairDot(byte[] q, int qo, float[] x, int xo) {
        FloatVector q0 = (FloatVector) ByteVector.fromArray(B, q, qo).convertShape(VectorOperators.B2F, F, 0);
        FloatVector q1 = (FloatVector) ByteVector.fromArray(B, q, qo + L).convertShape(VectorOperators.B2F, F, 0);
        return q0.fma(FloatVector.fromArray(F, x, xo), q1.mul(FloatVector.fromArray(F, x, xo + L)));
    }

    @Override
    public void row(int n, float[] dst, int off) {
        java.util.Objects.checkIndex(n, rows);
        java.util.Objects.checkFromIndexSize(off, cols, dst.length);
        dequantizeRow(q, d, n * cols, cols, dst, off);
    }

    @Override
    void panel(int p, int k0, int kc, float[] dst) {
        RowPacking.fillPanel(rows, p, kc, dst, (r, tile, off) -> dequantizeRow(q, d, r * cols + k0, kc, tile, off));
    }

    /** tile[off + k] = q[base + k] * d[(base + k)/32] for k < kc; base and kc are multiples of 32. */
    static void dequantizeRow(byte[] q, short[] d, int base, int kc, float[] tile, int off) {
        if (!VectorPath.ENABLED) {
            for (int k = 0; k < kc; k++) tile[off + k] = q[base + k] * Float.float16ToFloat(d[(base + k) / 32]);
            return;
        }
        for (int i = 0; i < kc; i += 32) {
            FloatVector s = FloatVector.broadcast(F, Float.float16ToFloat(d[(base + i) / 32]));
            for (int j = 0; j < 32; j += L) {
                ((FloatVector) ByteVector.fromArray(B, q, base + i + j).convertShape(VectorOperators.B2F, F, 0))
                        .mul(s).intoArray(tile, off + i + j);
            }
        }
    }
}
