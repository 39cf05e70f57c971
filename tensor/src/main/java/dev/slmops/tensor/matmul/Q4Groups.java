package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0, Q4_1 and Q4_K weights for the int8 decode GEMV (AVX2), rows interleaved in groups of eight so one pass
 * computes eight outputs with the vector lanes as rows: no horizontal sum per row, each activation quant loaded once
 * for eight rows, one contiguous stream of weights (as llama.cpp's CPU backend repacks Q4_0/Q4_K into 8-row blocks).
 * Same values as {@link Q4Rows} (W = q * scale + offset per 32-element sub-block, q unsigned 0..15); only the layout
 * and the order of the float sums differ.
 *
 * <pre>
 *   group g = rows 8g .. 8g+7 (the last group padded with zero rows), sub-block b = k / 32 (nb = K / 32 per row)
 *   nib   [G][nb][8 chunks][16 bytes]  chunk c, byte lane L (row r = L / 2, parity e = L % 2):
 *                                      low nibble  = q[r][32b + 2c + e]        (k in 0..15 of the block)
 *                                      high nibble = q[r][32b + 16 + 2c + e]   (k in 16..31)
 *   scale [G][nb][8]    per row of the group
 *   offset[G][nb][8]    per row (null for Q4_0: -8 * scale)
 * </pre>
 *
 * <p>GEMV per group and sub-block: a chunk widened to 16 shorts holds (row, parity) lanes; multiplied by the
 * broadcast pair (xq[2c], xq[2c+1]) (low nibbles) or (xq[16+2c], xq[17+2c]) (high) and summed over the 8 chunks in
 * 16-bit lanes (16 products of at most 15 * 127: |sum| <= 30480 < 2^15, exact), then adjacent lanes pair-summed give
 * the integer dot q_r . xq_b of each row in int lane r. Per row: acc_r += dot_r * (scale_rb * d_b) and
 * off_r += offset_rb * xsum_b (Q4_0: -8 * sum scale_rb * xsum_b), y_r = acc_r + off_r. The integer dots are the
 * row layout's; the float sums run block by block per row (Q4Rows keeps eight lanes per row and sums them last).
 */
final class Q4Groups extends PackedWeights {
    /** Rows per group: the float lanes of a 256-bit vector. */
    static final int G = 8;

    private final byte[] nib;
    private final float[] scale;
    /** Per-row offsets, or null for Q4_0 (offset = -8 * scale). */
    private final float[] offset;
    private final int nb;

    private Q4Groups(DType type, int rows, int cols, byte[] nib, float[] scale, float[] offset) {
        super(type, rows, cols);
        this.nib = nib;
        this.scale = scale;
        this.offset = offset;
        this.nb = cols / 32;
    }

    /** Whether this layout serves {@code type} here: the int8 GEMVs are on and vectors are 256 bits. */
    static boolean applies(DType type, boolean int8) {
        return int8 && Int8Activations.ENABLED && (type == DType.Q4_0 || type == DType.Q4_1 || type == DType.Q4_K);
    }

    static Q4Groups from(DType type, MemorySegment src, long srcOffset, int rows, int cols) {
        int groups = (rows + G - 1) / G, nb = cols / 32;
        byte[] nib = new byte[Math.multiplyExact(Math.multiplyExact(groups, nb), G * 16)];
        float[] scale = new float[groups * nb * G];
        float[] offset = type == DType.Q4_0 ? null : new float[groups * nb * G];
        int bs = type.blockSize, subs = bs / 32, blocksPerRow = cols / bs;
        int[] q = new int[bs];
        float[] sc = new float[subs], of = new float[subs];
        for (int r = 0; r < rows; r++) {
            int g = r / G, lr = r % G;
            for (int blk = 0; blk < blocksPerRow; blk++) {
                AffineBlocks.decode(type, src, srcOffset, (long) r * blocksPerRow + blk, q, sc, of);
                for (int sub = 0; sub < subs; sub++) {
                    int b = blk * subs + sub, gb = g * nb + b;
                    scale[gb * G + lr] = sc[sub];
                    if (offset != null) offset[gb * G + lr] = of[sub];
                    for (int c = 0; c < 8; c++) {
                        for (int e = 0; e < 2; e++) {
                            int lo = q[32 * sub + 2 * c + e], hi = q[32 * sub + 16 + 2 * c + e];
                            nib[gb * G * 16 + 16 * c + 2 * lr + e] = (byte) (lo | (hi << 4));
                        }
                    }
                }
            }
        }
        return new Q4Groups(type, rows, cols, nib, scale, offset);
    }

    @Override
    boolean roundsToInt8() {
        return true;
    }

    /** The int8 activations and their quants as (xq[2i], xq[2i+1]) pairs in one int each, for broadcasting. */
    record Prep(Int8Activations xq, int[] pairs) {
    }

    @Override
    Object gemvPrepare(float[] x, int xOff) {
        Int8Activations xq = Int8Activations.quantize(x, xOff, cols, dtype);
        short[] q = xq.q();
        int[] pairs = new int[q.length / 2];
        for (int i = 0; i < pairs.length; i++) pairs[i] = (q[2 * i] & 0xFFFF) | (q[2 * i + 1] << 16);
        return new Prep(xq, pairs);
    }

    @Override
    int gemvUnits() {
        return (rows + G - 1) / G;
    }

    @Override
    int gemvMinUnitsPerTask() {
        return 2;
    }

    @Override
    void gemvRange(float[] x, int xOff, Object prep, float[] y, int yOff, int g0, int g1, boolean vector) {
        Prep p = (Prep) prep;
        float[] out = new float[G];
        for (int g = g0; g < g1; g++) {
            if (vector) groupDot(g, p.pairs(), p.xq().d(), p.xq().sum(), out);
            else groupDotScalar(g, p.xq().q(), p.xq().d(), p.xq().sum(), out);
            int live = Math.min(G, rows - G * g);
            System.arraycopy(out, 0, y, yOff + G * g, live);
        }
    }

    /** out[r] = row 8g + r . x for the 8 rows of group g (vector lanes = rows; see the class comment). */
    private void groupDot(int g, int[] pairs, float[] xd, float[] xsum, float[] out) {
        FloatVector acc = FloatVector.zero(Int8Activations.F8), off = acc;
        int gb0 = g * nb;
        for (int b = 0; b < nb; b++) {
            int base = (gb0 + b) * G * 16, xp = 16 * b;
            ShortVector s = ShortVector.zero(Int8Activations.S16);
            for (int c = 0; c < 8; c++) {
                ShortVector w = (ShortVector) ByteVector.fromArray(Int8Activations.B16, nib, base + 16 * c)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, Int8Activations.S16, 0);
                ShortVector xlo = IntVector.broadcast(Int8Activations.I8, pairs[xp + c]).reinterpretAsShorts();
                ShortVector xhi = IntVector.broadcast(Int8Activations.I8, pairs[xp + 8 + c]).reinterpretAsShorts();
                s = s.add(w.and((short) 0xF).mul(xlo)).add(w.lanewise(VectorOperators.LSHR, 4).mul(xhi));
            }
            FloatVector dot = (FloatVector) Int8Activations.pairSums(s).convert(VectorOperators.I2F, 0);
            FloatVector sv = FloatVector.fromArray(Int8Activations.F8, scale, (gb0 + b) * G);
            acc = dot.fma(sv.mul(xd[b]), acc);
            FloatVector ov = offset != null ? FloatVector.fromArray(Int8Activations.F8, offset, (gb0 + b) * G) : sv;
            off = ov.fma(FloatVector.broadcast(Int8Activations.F8, xsum[b]), off);
        }
        if (offset == null) off = off.mul(-8f);
        acc.add(off).intoArray(out, 0);
    }

    /** {@link #groupDot}'s arithmetic one row at a time, in the same order (the reference of the vector kernel). */
    private void groupDotScalar(int g, short[] xq, float[] xd, float[] xsum, float[] out) {
        for (int r = 0; r < G; r++) {
            float acc = 0f, off = 0f;
            for (int b = 0; b < nb; b++) {
                int gb = g * nb + b, dot = 0;
                for (int j = 0; j < 32; j++) dot += quant(gb, r, j) * xq[32 * b + j];
                acc = Math.fma(dot, scale[gb * G + r] * xd[b], acc);
                off = Math.fma(offset != null ? offset[gb * G + r] : scale[gb * G + r], xsum[b], off);
            }
            if (offset == null) off *= -8f;
            out[r] = acc + off;
        }
    }

    /** The unsigned quant of row r (in group sub-block gb), element j of the sub-block. */
    private int quant(int gb, int r, int j) {
        int c = (j % 16) / 2, e = j % 2;
        int v = nib[gb * G * 16 + 16 * c + 2 * r + e] & 0xFF;
        return j < 16 ? v & 0xF : v >>> 4;
    }

    /**
     * F32 panel dst[kc][NR] of rows NR*p.. over k0..k0+kc (multiples of 32), zeros past the last row: q * scale +
     * offset (a multiply then an add, as Q4Rows and ggml round it). One widened chunk, read as 8 ints (lane = row),
     * holds four k's of all eight rows of a group: low nibble of byte 2r (k = 2c), of byte 2r+1 (k = 2c+1), and the
     * high nibbles (k = 16+2c, 17+2c), each an 8-float run of the panel.
     */
    @Override
    void panel(int p, int k0, int kc, float[] dst) {
        int nr = MicroKernel.NR;
        for (int gi = 0; gi < nr / G; gi++) {
            int g = (p * nr) / G + gi;
            if (g * G >= rows) { // past the last row: zeros
                for (int k = 0; k < kc; k++) java.util.Arrays.fill(dst, k * nr + gi * G, k * nr + gi * G + G, 0f);
                continue;
            }
            for (int kb = 0; kb < kc; kb += 32) {
                int gb = g * nb + (k0 + kb) / 32, d0 = kb * nr + gi * G;
                if (VectorPath.ENABLED && VectorPath.L == G) {
                    FloatVector sv = FloatVector.fromArray(Int8Activations.F8, scale, gb * G);
                    FloatVector ov = offset != null ? FloatVector.fromArray(Int8Activations.F8, offset, gb * G) : sv.mul(-8f);
                    for (int c = 0; c < 8; c++) {
                        IntVector w = ((ShortVector) ByteVector.fromArray(Int8Activations.B16, nib, gb * G * 16 + 16 * c)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2S, Int8Activations.S16, 0)).reinterpretAsInts();
                        panelRun(w.and(0xF), sv, ov, dst, d0 + (2 * c) * nr);
                        panelRun(w.lanewise(VectorOperators.LSHR, 16).and(0xF), sv, ov, dst, d0 + (2 * c + 1) * nr);
                        panelRun(w.lanewise(VectorOperators.LSHR, 4).and(0xF), sv, ov, dst, d0 + (16 + 2 * c) * nr);
                        panelRun(w.lanewise(VectorOperators.LSHR, 20).and(0xF), sv, ov, dst, d0 + (17 + 2 * c) * nr);
                    }
                } else {
                    for (int r = 0; r < G; r++) {
                        float s = scale[gb * G + r], o = offset != null ? offset[gb * G + r] : -8f * s;
                        for (int j = 0; j < 32; j++) dst[d0 + j * nr + r] = quant(gb, r, j) * s + o;
                    }
                }
            }
        }
    }

    private static void panelRun(IntVector q, FloatVector scale, FloatVector offset, float[] dst, int at) {
        ((FloatVector) q.convert(VectorOperators.I2F, 0)).mul(scale).add(offset).intoArray(dst, at);
    }
}
