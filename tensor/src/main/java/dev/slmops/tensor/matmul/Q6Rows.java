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
 * Q6_K weights, row-major: {@code q[n*K + k]} = the 6-bit quant minus 32 (int8 in [-32, 31]) and
 * the scale of element i, s(i) = d * sc, from the file's int8 sub-block scale {@code sc[i/16]} and F16 super-block
 * scale {@code d[i/256]} (the product ggml forms, in float), so W = q * s (bit-identical to ggml's). One byte per
 * weight instead of 6/8 bits, simple and vector-friendly; the scales as the file stores them (1/16 + 2/256 bytes per
 * weight, not a float per 16: 1/4), so decode reads 1.07 B/weight instead of 1.25.
 *
 * <p>With int8 activations on, Q6_K is packed as {@link Q6Groups} (rows interleaved, ggml's summation order: GEMVs
 * 3x faster); this layout serves the float paths, a file with a non-finite d, and is the groups' reference in tests.
 */
final class Q6Rows extends PackedWeights {
    private static final VectorSpecies<Float> F = VectorPath.F;
    private static final int L = VectorPath.L;
    private static final VectorSpecies<Byte> B = VectorPath.B;

    private final byte[] q;
    /** Int8 scale of each 16-element sub-block. */
    private final byte[] sc;
    /** F16 bits of each 256-element super-block's scale. */
    private final short[] d;
    /** Decode GEMVs round x to int8 ({@link Int8Activations}) and multiply in integers. */
    private final boolean int8;

    private Q6Rows(int rows, int cols, byte[] q, byte[] sc, short[] d, boolean int8) {
        super(DType.Q6_K, rows, cols);
        this.q = q;
        this.sc = sc;
        this.d = d;
        this.int8 = int8;
    }

    /** Block: [0..128) low nibbles; [128..192) high 2 bits; [192..208) int8 scales; [208] half d. */
    static Q6Rows from(MemorySegment src, long offset, int rows, int cols, boolean int8) {
        int n = Math.multiplyExact(rows, cols);
        byte[] q = new byte[n];
        byte[] sc = new byte[n / 16];
        short[] d = new short[n / 256];
        ReadBehind behind = new ReadBehind(src, offset);
        for (int blk = 0; blk < n / 256; blk++) {
            long b = offset + 210L * blk;
            behind.readUpTo(b);
            d[blk] = src.get(RowPacking.HALF, b + 208);
            for (int i = 0; i < 16; i++) sc[16 * blk + i] = src.get(ValueLayout.JAVA_BYTE, b + 192 + i);
            int o = 256 * blk;
            for (int half = 0; half < 2; half++, o += 128) {
                long ql = b + 64L * half, qh = b + 128 + 32L * half;
                for (int l = 0; l < 32; l++) {
                    int lo0 = src.get(ValueLayout.JAVA_BYTE, ql + l) & 0xFF;
                    int lo1 = src.get(ValueLayout.JAVA_BYTE, ql + l + 32) & 0xFF;
                    int h = src.get(ValueLayout.JAVA_BYTE, qh + l) & 0xFF;
                    q[o + l] = (byte) (((lo0 & 0xF) | ((h & 3) << 4)) - 32);
                    q[o + l + 32] = (byte) (((lo1 & 0xF) | (((h >>> 2) & 3) << 4)) - 32);
                    q[o + l + 64] = (byte) (((lo0 >>> 4) | (((h >>> 4) & 3) << 4)) - 32);
                    q[o + l + 96] = (byte) (((lo1 >>> 4) | (((h >>> 6) & 3) << 4)) - 32);
                }
            }
        }
        behind.finish(offset + 210L * (n / 256));
        return new Q6Rows(rows, cols, q, sc, d, int8);
    }

    /** The scale of sub-block i (elements 16i .. 16i+15): d * sc as ggml multiplies them. */
    private static float scale(byte[] sc, short[] d, int i) {
        return Float.float16ToFloat(d[i >>> 4]) * sc[i];
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
            for (int n = n0; n < n1; n++) y[yOff + n] = dotInt8(q, sc, d, n * cols, cols, xq.q(), xq.d());
            return;
        }
        for (int n = n0; n < n1; n++) {
            y[yOff + n] = vector ? dotVector(q, sc, d, n * cols, cols, x, xOff) : dotScalar(n, x, xOff);
        }
    }

    private float dotScalar(int n, float[] x, int xOff) {
        float sum = 0f;
        int base = n * cols;
        for (int b = 0; b < cols / 16; b++) {
            float block = 0f;
            for (int j = 0; j < 16; j++) block = Math.fma(q[base + 16 * b + j], x[xOff + 16 * b + j], block);
            sum = Math.fma(block, scale(sc, d, base / 16 + b), sum);
        }
        return sum;
    }

    /** sum_k q[base + k] * s((base + k)/16) * x[xOff + k]; per 16-element sub-block acc += (q . x) * s. */
    static float dotVector(byte[] q, byte[] sc, short[] d, int base, int k, float[] x, int xOff) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int sb = base / 16;
        float dv = 0f; // the super-block's d, widened once per 256 elements
        for (int i = 0; i < k; i += 32, sb += 2) { // k is a multiple of 256: two sub-blocks per step
            if ((i & 255) == 0) dv = Float.float16ToFloat(d[sb >>> 4]);
            FloatVector t0 = FloatVector.zero(F), t1 = t0;
            for (int j = 0; j < 16; j += L) {
                FloatVector q0 = (FloatVector) ByteVector.fromArray(B, q, base + i + j).convertShape(VectorOperators.B2F, F, 0);
                FloatVector q1 = (FloatVector) ByteVector.fromArray(B, q, base + i + 16 + j).convertShape(VectorOperators.B2F, F, 0);
                t0 = q0.fma(FloatVector.fromArray(F, x, xOff + i + j), t0);
                t1 = q1.fma(FloatVector.fromArray(F, x, xOff + i + 16 + j), t1);
            }
            acc0 = t0.fma(FloatVector.broadcast(F, dv * sc[sb]), acc0);
            acc1 = t1.fma(FloatVector.broadcast(F, dv * sc[sb + 1]), acc1);
        }
        return VectorMath.sum(acc0.add(acc1));
    }

    /**
     * sum over 16-element sub-blocks c of s(base/16 + c) * xd[c/2] * (q_c . xq_c), x rounded to int8 per 32
     * ({@link Int8Activations}). Per 32 elements: two sub-blocks of 16 quants widen to shorts and multiply the
     * activation quants (|q| <= 32, |xq| <= 127: a product <= 4064, an adjacent pair < 2^13, so the
     * {@link Int8Activations#smallPairSums} shortcut is exact), then each sub-block's 8 pair sums take its own scale.
     */
    static float dotInt8(byte[] q, byte[] sc, short[] d, int base, int k, short[] xq, float[] xd) {
        FloatVector acc0 = FloatVector.zero(Int8Activations.F8), acc1 = acc0;
        int sb = base / 16;
        float dv = 0f; // as in dotVector
        for (int i = 0, b = 0; i < k; i += 32, b++, sb += 2) {
            if ((i & 255) == 0) dv = Float.float16ToFloat(d[sb >>> 4]);
            ShortVector w0 = (ShortVector) ByteVector.fromArray(Int8Activations.B16, q, base + i)
                    .convertShape(VectorOperators.B2S, Int8Activations.S16, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromArray(Int8Activations.B16, q, base + i + 16)
                    .convertShape(VectorOperators.B2S, Int8Activations.S16, 0);
            ShortVector p0 = w0.mul(ShortVector.fromArray(Int8Activations.S16, xq, i));
            ShortVector p1 = w1.mul(ShortVector.fromArray(Int8Activations.S16, xq, i + 16));
            FloatVector t0 = (FloatVector) Int8Activations.smallPairSums(p0).convert(VectorOperators.I2F, 0);
            FloatVector t1 = (FloatVector) Int8Activations.smallPairSums(p1).convert(VectorOperators.I2F, 0);
            float xb = xd[b];
            acc0 = t0.fma(FloatVector.broadcast(Int8Activations.F8, dv * sc[sb] * xb), acc0);
            acc1 = t1.fma(FloatVector.broadcast(Int8Activations.F8, dv * sc[sb + 1] * xb), acc1);
        }
        return VectorMath.sum(acc0.add(acc1));
    }

    @Override
    void panel(int p, int k0, int kc, float[] dst) {
        RowPacking.fillPanel(rows, p, kc, dst, (r, tile, off) -> {
            int base = r * cols + k0;
            for (int k = 0; k < kc; k += 16) { // base and kc are multiples of 16
                float sv = scale(sc, d, (base + k) / 16);
                for (int j = k; j < k + 16; j++) tile[off + j] = sv * q[base + j];
            }
        });
    }
}
