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
 * Q4_0, Q4_1 and Q4_K weights as one family, row-major: per 32-element sub-block b (b = (n*K + k)/32) 16 bytes
 * {@code nib[16b + j]} hold element j in the low nibble and j+16 in the high nibble (unsigned 0..15), with
 * {@code scale[b]} and {@code offset[b]}: W = q * scale + offset (see {@link AffineBlocks}).
 *
 * <p>GEMV: y[n] = sum_b scale[b] * (q_b . x_b) + sum_b offset[b] * xsum_b, with xsum_b the sums of x over each
 * sub-block computed once per call.
 */
final class Q4Rows extends PackedWeights {
    private static final VectorSpecies<Float> F = VectorPath.F;
    private static final int L = VectorPath.L;
    private static final VectorSpecies<Byte> B = VectorPath.B;
    private static final VectorSpecies<Integer> I = VectorPath.I;

    private final byte[] nib;
    private final float[] scale;
    /** Per-block offsets, or null where the type fixes them at {@link #offsetPerScale} * scale (Q4_0, Q5_0). */
    private final float[] offset;
    /** Q4_0: -8, Q5_0: -16 (offset / scale, a power of two); unused where {@link #offset} is kept. */
    private final float offsetPerScale;
    /** Decode GEMVs round x to int8 ({@link Int8Activations}) and multiply in integers. */
    private final boolean int8;

    private Q4Rows(DType type, int rows, int cols, byte[] nib, float[] scale, float[] offset, boolean int8) {
        super(type, rows, cols);
        this.nib = nib;
        this.scale = scale;
        this.offsetPerScale = type == DType.Q4_0 ? -8f : type == DType.Q5_0 ? -16f : 0f;
        this.offset = offset;
        this.int8 = int8;
    }

    static Q4Rows from(DType type, MemorySegment src, long srcOffset, int rows, int cols, boolean int8) {
        int n = Math.multiplyExact(rows, cols);
        byte[] nib = new byte[n / 2];
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
                for (int j = 0; j < 16; j++) nib[16 * b + j] = (byte) (q[32 * sub + j] | (q[32 * sub + j + 16] << 4));
            }
        }
        behind.finish(srcOffset + (long) (n / bs) * type.blockBytes);
        return new Q4Rows(type, rows, cols, nib, scale, offset, int8);
    }

    /** Sums of x over each 32-element block: xsum[b] = sum_{j<32} x[32b + j]. */
    static float[] blockSums(float[] x, int xOff, int k) {
        float[] sums = new float[k / 32];
        for (int b = 0; b < sums.length; b++) {
            float s = 0f;
            for (int j = 0; j < 32; j++) s += x[xOff + 32 * b + j];
            sums[b] = s;
        }
        return sums;
    }

    @Override
    boolean roundsToInt8() {
        return int8;
    }

    @Override
    Object gemvPrepare(float[] x, int xOff) {
        return int8 ? Int8Activations.quantize(x, xOff, cols, dtype) : blockSums(x, xOff, cols);
    }

    @Override
    void gemvRange(float[] x, int xOff, Object prep, float[] y, int yOff, int n0, int n1, boolean vector) {
        if (prep instanceof Int8Activations xq) {
            if (vector) {
                for (int n = n0; n < n1; n++) {
                    int sb = n * (cols / 32);
                    y[yOff + n] = dotInt8(nib, scale, sb, cols, xq.q(), xq.d()) + offsetTerm(sb, xq.sum(), true);
                }
                return;
            }
            prep = Q4Rows.blockSums(x, xOff, cols); // the float dot below needs the exact sums
        }
        float[] xsum = (float[]) prep;
        for (int n = n0; n < n1; n++) {
            int sb = n * (cols / 32);
            float dot = vector ? dotVector(nib, scale, sb, cols, x, xOff) : dotScalar(sb, x, xOff);
            y[yOff + n] = dot + offsetTerm(sb, xsum, vector);
        }
    }

    /** sum_b offset[sb + b] * xsum[b]. */
    static float offsetDot(float[] offset, int sb, float[] xsum) {
        float s = 0f;
        for (int b = 0; b < xsum.length; b++) s = Math.fma(offset[sb + b], xsum[b], s);
        return s;
    }

    /**
     * {@link #offsetDot} L blocks at a time. (The scalar loop is one chain of dependent FMAs, K/32 of them: in a
     * profile of qwen2.5-0.5b Q4_0 decode it took as long as the nibble dot products themselves.)
     */
    static float offsetDotVector(float[] offset, int sb, float[] xsum) {
        int nb = xsum.length, b = 0;
        FloatVector acc = FloatVector.zero(F);
        for (; b + L <= nb; b += L) acc = FloatVector.fromArray(F, offset, sb + b).fma(FloatVector.fromArray(F, xsum, b), acc);
        float s = VectorMath.sum(acc);
        for (; b < nb; b++) s = Math.fma(offset[sb + b], xsum[b], s);
        return s;
    }

    private float dotScalar(int sb, float[] x, int xOff) {
        float sum = 0f;
        for (int b = 0; b < cols / 32; b++) {
            float block = 0f;
            for (int j = 0; j < 16; j++) {
                int v = nib[16 * (sb + b) + j] & 0xFF;
                block = Math.fma(v & 0xF, x[xOff + 32 * b + j], block);
                block = Math.fma(v >>> 4, x[xOff + 32 * b + j + 16], block);
            }
            sum = Math.fma(block, scale[sb + b], sum);
        }
        return sum;
    }

    /**
     * sum_b scale[sb + b] * (q_b . x_b) over one row of k elements (offsets are added by the caller). Bytes are
     * widened to ints before the nibble shifts; byte j of a block holds elements j (low) and j + 16 (high).
     */
    static float dotVector(byte[] nib, float[] scale, int sb, int k, float[] x, int xOff) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int nb = k / 32;
        for (int b = 0; b < nb; b++) {
            int no = 16 * (sb + b), xo = xOff + 32 * b;
            FloatVector t = nibbleDot(nib, no, x, xo);
            for (int j = L; j < 16; j += L) t = t.add(nibbleDot(nib, no + j, x, xo + j));
            if ((b & 1) == 0) acc0 = t.fma(FloatVector.broadcast(F, scale[sb + b]), acc0);
            else acc1 = t.fma(FloatVector.broadcast(F, scale[sb + b]), acc1);
        }
        return VectorMath.sum(acc0.add(acc1));
    }

    /**
     * sum_b scale[sb + b] * xd[b] * (q_b . xq_b) over one row of k elements, x rounded to int8
     * ({@link Int8Activations}); offsets are added by the caller. Per block the 16 nibble bytes widen to 16 shorts,
     * low nibbles multiply xq[0..16), high nibbles xq[16..32) (each product <= 15 * 127, a pair sum < 2^13), and
     * adjacent lanes sum into 8 ints.
     */
    static float dotInt8(byte[] nib, float[] scale, int sb, int k, short[] xq, float[] xd) {
        FloatVector acc0 = FloatVector.zero(Int8Activations.F8), acc1 = acc0;
        int nb = k / 32;
        for (int b = 0; b < nb; b++) {
            int xo = 32 * b;
            ShortVector w = (ShortVector) ByteVector.fromArray(Int8Activations.B16, nib, 16 * (sb + b))
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, Int8Activations.S16, 0);
            ShortVector p = w.and((short) 0xF).mul(ShortVector.fromArray(Int8Activations.S16, xq, xo))
                    .add(w.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Int8Activations.S16, xq, xo + 16)));
            FloatVector t = (FloatVector) Int8Activations.smallPairSums(p).convert(VectorOperators.I2F, 0);
            FloatVector s = FloatVector.broadcast(Int8Activations.F8, scale[sb + b] * xd[b]);
            if ((b & 1) == 0) acc0 = t.fma(s, acc0);
            else acc1 = t.fma(s, acc1);
        }
        return VectorMath.sum(acc0.add(acc1));
    }

    /** Lane-wise low-nibble . x[xo..xo+L) + high-nibble . x[xo+16..xo+16+L) for the L bytes at nib[no..]. */
    private static FloatVector nibbleDot(byte[] nib, int no, float[] x, int xo) {
        // zero-extended, the high nibble needs only the shift (sign extension would need a mask as well)
        IntVector w = (IntVector) ByteVector.fromArray(B, nib, no).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        FloatVector lo = (FloatVector) w.and(0xF).convert(VectorOperators.I2F, 0);
        FloatVector hi = (FloatVector) w.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
        return lo.fma(FloatVector.fromArray(F, x, xo), hi.mul(FloatVector.fromArray(F, x, xo + 16)));
    }

    /**
     * sum_b offset_b * xsum[b] over row block sb.. . Where the type fixes offset_b = offsetPerScale * scale[sb + b]
     * the scales are summed and scaled once: a power of two commutes with every rounding, so the sum is the same.
     */
    private float offsetTerm(int sb, float[] xsum, boolean vector) {
        float[] o = offset != null ? offset : scale;
        float sum = vector ? offsetDotVector(o, sb, xsum) : offsetDot(o, sb, xsum);
        return offset != null ? sum : offsetPerScale * sum;
    }

    @Override
    void panel(int p, int k0, int kc, float[] dst) {
        RowPacking.fillPanel(rows, p, kc, dst, (r, tile, off) -> dequantizeRow(r * cols + k0, kc, tile, off));
    }

    @Override
    public void row(int n, float[] dst, int off) {
        java.util.Objects.checkIndex(n, rows);
        java.util.Objects.checkFromIndexSize(off, cols, dst.length);
        dequantizeRow(n * cols, cols, dst, off);
    }

    /**
     * tile[off + k] = q * scale + offset of element {@code first + k} for k < kc (first and kc multiples of 32):
     * a multiply then an add, as the scalar twin and ggml do (no fused rounding).
     */
    private void dequantizeRow(int first, int kc, float[] tile, int off) {
        for (int k = 0; k < kc; k += 32) {
            int b = (first + k) / 32;
            float s = scale[b], o = offset != null ? offset[b] : offsetPerScale * s;
            if (VectorPath.ENABLED) {
                FloatVector sv = FloatVector.broadcast(F, s), ov = FloatVector.broadcast(F, o);
                for (int j = 0; j < 16; j += L) {
                    IntVector w = (IntVector) ByteVector.fromArray(B, nib, 16 * b + j)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    ((FloatVector) w.and(0xF).convert(VectorOperators.I2F, 0)).mul(sv).add(ov)
                            .intoArray(tile, off + k + j);
                    ((FloatVector) w.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(sv).add(ov)
                            .intoArray(tile, off + k + j + 16);
                }
            } else {
                for (int j = 0; j < 16; j++) {
                    int v = nib[16 * b + j] & 0xFF;
                    tile[off + k + j] = (v & 0xF) * s + o;
                    tile[off + k + j + 16] = (v >>> 4) * s + o;
                }
            }
        }
    }
}
