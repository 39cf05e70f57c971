package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.ops.VectorMath;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0, Q5_1 and Q5_K weights as one family: the {@link Q4Rows} layout (low nibbles, scale, offset per 32) plus
 * {@code high[b]}, a 32-bit plane whose bit j is the fifth bit of element j of sub-block b. W = q * scale + offset.
 */
final class Q5Rows extends PackedWeights {
    private static final VectorSpecies<Float> F = VectorPath.F;
    private static final int L = VectorPath.L;
    private static final VectorSpecies<Byte> B = VectorPath.B;
    private static final VectorSpecies<Integer> I = VectorPath.I;
    /** Shift counts: lane i of the vector loaded at j holds j + i. */
    private static final int[] LANE_INDEX = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    /** Lane j holds 1 << j (16 short lanes): ANDed with a broadcast half of the fifth-bit plane, lane j keeps bit j. */
    private static final short[] LANE_BIT = new short[16];

    static {
        for (int j = 0; j < 16; j++) LANE_BIT[j] = (short) (1 << j);
    }

    private final byte[] nib;
    private final int[] high;
    private final float[] scale;
    /** Per-block offsets, or null where the type fixes them at {@link #offsetPerScale} * scale (Q4_0, Q5_0). */
    private final float[] offset;
    /** Q4_0: -8, Q5_0: -16 (offset / scale, a power of two); unused where {@link #offset} is kept. */
    private final float offsetPerScale;
    /** Decode GEMVs round x to int8 ({@link Int8Activations}) and multiply in integers. */
    private final boolean int8;

    private Q5Rows(DType type, int rows, int cols, byte[] nib, int[] high, float[] scale, float[] offset, boolean int8) {
        super(type, rows, cols);
        this.nib = nib;
        this.high = high;
        this.scale = scale;
        this.offsetPerScale = type == DType.Q4_0 ? -8f : type == DType.Q5_0 ? -16f : 0f;
        this.offset = offset;
        this.int8 = int8;
    }

    static Q5Rows from(DType type, MemorySegment src, long srcOffset, int rows, int cols, boolean int8) {
        int n = Math.multiplyExact(rows, cols);
        byte[] nib = new byte[n / 2];
        int[] high = new int[n / 32];
        float[] scale = new float[n / 32];
        // Q4_0/Q5_0's offsets are -8 / -16 times the scale: not stored (1 byte per 8 weights less)
        float[] offset = type == DType.Q4_0 || type == DType.Q5_0 ? null : new float[n / 32];
        int bs = type.blockSize;
        int[] q = new int[bs];
        float[] sc = new float[bs / 32], of = new float[bs / 32];
        ReadBehind behind = new ReadBehind(src, srcOffset);
        for (int blk = 0; blk < n / bs; blk++) {
            behind.readUpTo(srcOffset + blk * type.blockBytes);
            AffineBlocks.decode(type, src, srcOffset, blk, q, sc, of);
            for (int sub = 0; sub < bs / 32; sub++) {
                int b = blk * (bs / 32) + sub;
                scale[b] = sc[sub];
                if (offset != null) offset[b] = of[sub];
                int h = 0;
                for (int j = 0; j < 16; j++) {
                    int lo = q[32 * sub + j], hi = q[32 * sub + j + 16];
                    nib[16 * b + j] = (byte) ((lo & 0xF) | ((hi & 0xF) << 4));
                    h |= (lo >>> 4) << j;
                    h |= (hi >>> 4) << (j + 16);
                }
                high[b] = h;
            }
        }
        behind.finish(srcOffset + (long) (n / bs) * type.blockBytes);
        return new Q5Rows(type, rows, cols, nib, high, scale, offset, int8);
    }

    @Override
    boolean roundsToInt8() {
        return int8;
    }

    @Override
    Object gemvPrepare(float[] x, int xOff) {
        return int8 ? Int8Activations.quantize(x, xOff, cols, dtype) : Q4Rows.blockSums(x, xOff, cols);
    }

    @Override
    void gemvRange(float[] x, int xOff, Object prep, float[] y, int yOff, int n0, int n1, boolean vector) {
        if (prep instanceof Int8Activations xq) {
            if (vector) {
                for (int n = n0; n < n1; n++) {
                    int sb = n * (cols / 32);
                    y[yOff + n] = dotInt8(nib, high, scale, sb, cols, xq.q(), xq.d()) + offsetTerm(sb, xq.sum(), true);
                }
                return;
            }
            prep = Q4Rows.blockSums(x, xOff, cols); // the float dot below needs the exact sums
        }
        float[] xsum = (float[]) prep;
        for (int n = n0; n < n1; n++) {
            int sb = n * (cols / 32);
            float dot = vector ? dotVector(nib, high, scale, sb, cols, x, xOff) : dotScalar(sb, x, xOff);
            y[yOff + n] = dot + offsetTerm(sb, xsum, vector);
        }
    }

    private int quant(int b, int j) {
        int v = nib[16 * b + (j & 15)] & 0xFF;
        int low = j < 16 ? v & 0xF : v >>> 4;
        return low | (((high[b] >>> j) & 1) << 4);
    }

    private float dotScalar(int sb, float[] x, int xOff) {
        float sum = 0f;
        for (int b = 0; b < cols / 32; b++) {
            float block = 0f;
            for (int j = 0; j < 32; j++) block = Math.fma(quant(sb + b, j), x[xOff + 32 * b + j], block);
            sum = Math.fma(block, scale[sb + b], sum);
        }
        return sum;
    }

    static float dotVector(byte[] nib, int[] high, float[] scale, int sb, int k, float[] x, int xOff) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int nb = k / 32;
        for (int b = 0; b < nb; b++) {
            int no = 16 * (sb + b), xo = xOff + 32 * b;
            IntVector h = IntVector.broadcast(I, high[sb + b]);
            FloatVector t = quintDot(nib, no, h, 0, x, xo);
            for (int j = L; j < 16; j += L) t = t.add(quintDot(nib, no + j, h, j, x, xo + j));
            if ((b & 1) == 0) acc0 = t.fma(FloatVector.broadcast(F, scale[sb + b]), acc0);
            else acc1 = t.fma(FloatVector.broadcast(F, scale[sb + b]), acc1);
        }
        return VectorMath.sum(acc0.add(acc1));
    }

    /**
     * sum_b scale[sb + b] * xd[b] * (q_b . xq_b) over one row of k elements, x rounded to int8
     * ({@link Int8Activations}); offsets are added by the caller. Per block the 16 nibble bytes widen to 16 shorts
     * (element j low, j + 16 high); the fifth bits come from the plane's low and high halves broadcast to 16 lanes,
     * ANDed with 1 << lane, and squashed to 0/1 by an unsigned min (lane 15's bit is the sign bit of a short).
     * Quants <= 31, |xq| <= 127: a product <= 3937, so low + high products and then adjacent pairs stay < 2^14.
     */
    static float dotInt8(byte[] nib, int[] high, float[] scale, int sb, int k, short[] xq, float[] xd) {
        ShortVector bit = ShortVector.fromArray(Int8Activations.S16, LANE_BIT, 0);
        FloatVector acc0 = FloatVector.zero(Int8Activations.F8), acc1 = acc0;
        int nb = k / 32;
        for (int b = 0; b < nb; b++) {
            int xo = 32 * b, h = high[sb + b];
            ShortVector w = (ShortVector) ByteVector.fromArray(Int8Activations.B16, nib, 16 * (sb + b))
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, Int8Activations.S16, 0);
            ShortVector h0 = ShortVector.broadcast(Int8Activations.S16, (short) h).and(bit)
                    .lanewise(VectorOperators.UMIN, (short) 1).lanewise(VectorOperators.LSHL, 4);
            ShortVector h1 = ShortVector.broadcast(Int8Activations.S16, (short) (h >>> 16)).and(bit)
                    .lanewise(VectorOperators.UMIN, (short) 1).lanewise(VectorOperators.LSHL, 4);
            ShortVector lo = w.and((short) 0xF).or(h0), hi = w.lanewise(VectorOperators.LSHR, 4).or(h1);
            ShortVector p = lo.mul(ShortVector.fromArray(Int8Activations.S16, xq, xo))
                    .add(hi.mul(ShortVector.fromArray(Int8Activations.S16, xq, xo + 16)));
            FloatVector t = (FloatVector) Int8Activations.smallPairSums(p).convert(VectorOperators.I2F, 0);
            FloatVector s = FloatVector.broadcast(Int8Activations.F8, scale[sb + b] * xd[b]);
            if ((b & 1) == 0) acc0 = t.fma(s, acc0);
            else acc1 = t.fma(s, acc1);
        }
        return VectorMath.sum(acc0.add(acc1));
    }

    /** As Q4Rows' nibble dot, with fifth bits j.. (low) and 16 + j.. (high) taken from the broadcast plane h. */
    private static FloatVector quintDot(byte[] nib, int no, IntVector h, int j, float[] x, int xo) {
        IntVector w = (IntVector) ByteVector.fromArray(B, nib, no).convertShape(VectorOperators.B2I, I, 0);
        IntVector h0 = h.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, LANE_INDEX, j)).and(1).lanewise(VectorOperators.LSHL, 4);
        IntVector h1 = h.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, LANE_INDEX, 16 + j)).and(1).lanewise(VectorOperators.LSHL, 4);
        FloatVector lo = (FloatVector) w.and(0xF).or(h0).convert(VectorOperators.I2F, 0);
        FloatVector hi = (FloatVector) w.lanewise(VectorOperators.LSHR, 4).and(0xF).or(h1).convert(VectorOperators.I2F, 0);
        return lo.fma(FloatVector.fromArray(F, x, xo), hi.mul(FloatVector.fromArray(F, x, xo + 16)));
    }

    /**
     * sum_b offset_b * xsum[b] over row block sb.. . Where the type fixes offset_b = offsetPerScale * scale[sb + b]
     * the scales are summed and scaled once: a power of two commutes with every rounding, so the sum is the same.
     */
    private float offsetTerm(int sb, float[] xsum, boolean vector) {
        float[] o = offset != null ? offset : scale;
        float sum = vector ? Q4Rows.offsetDotVector(o, sb, xsum) : Q4Rows.offsetDot(o, sb, xsum);
        return offset != null ? sum : offsetPerScale * sum;
    }

    @Override
    void panel(int p, int k0, int kc, float[] dst) {
        RowPacking.fillPanel(rows, p, kc, dst, (r, tile, off) -> {
            int first = r * cols + k0;
            for (int k = 0; k < kc; k += 32) {
                int b = (first + k) / 32;
                float s = scale[b], o = offset != null ? offset[b] : offsetPerScale * s;
                for (int j = 0; j < 32; j++) tile[off + k + j] = quant(b, j) * s + o;
            }
        });
    }
}
