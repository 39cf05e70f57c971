package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * The 4- and 5-bit families (Q4_0, Q4_1, Q4_K; Q5_0, Q5_1, Q5_K) for the int8 decode GEMV, rows interleaved in
 * groups of G (8 on AVX2, 16 on AVX-512: the int lanes of the widest vector) so one pass computes G outputs with the
 * vector lanes as rows: no horizontal sum per row, each activation quant loaded once for G rows, one contiguous
 * stream of weights (as llama.cpp's CPU backend repacks Q4_0/Q4_K into 8-row blocks). Same values as
 * {@link Q4Rows}/{@link Q5Rows} (W = q * scale + offset per 32-element sub-block, q unsigned: 0..15, or 0..31 with a
 * fifth bit); only the layout and the order of the float sums differ.
 *
 * <pre>
 *   group g = rows Gg .. Gg+G-1 (the last group padded with zero rows), sub-block b = k / 32 (nb = K / 32 per row)
 *   nib   [groups][nb][8 chunks][2G bytes]  chunk c, byte lane L (row r = L / 2, parity e = L % 2):
 *                                      low nibble  = q[r][32b + 2c + e] & 15        (k in 0..15 of the block)
 *                                      high nibble = q[r][32b + 16 + 2c + e] & 15   (k in 16..31)
 *   fifth [groups][nb][2 quads][2G bytes]  (5-bit types) quad h = chunks 4h .. 4h+3, byte lane L as in nib:
 *                                      bit 2i     = fifth bit of the low-nibble value of chunk 4h + i
 *                                      bit 2i + 1 = fifth bit of the high-nibble value of chunk 4h + i
 *                            widened to shorts beside the nibbles and shifted left by 4, a right shift by 2i (2i + 1)
 *                            brings a value's fifth bit to bit 4: one bit per weight, as in the file
 *   scale [groups][nb][G]    per row of the group: F16 bits for Q4_0/Q4_1/Q5_0/Q5_1 (the file's own)
 *   offset[groups][nb][G]    per row, stored as the scale (none for Q4_0 / Q5_0: -8 / -16 times the scale)
 *   K-quants, as the file stores them: subScale, subMin [groups][nb][G] the 6-bit sc and min per row and sub-block;
 *                            superScale, superMin [groups][nb/8][G] the F16 d and dmin per row and 256-block;
 *                            scale = d * sc and offset = -(dmin * min), formed in float where a kernel reads them
 * </pre>
 *
 * <p>GEMV per group and sub-block: a chunk widened to 2G shorts holds (row, parity) lanes; multiplied by the
 * broadcast pair (xq[2c], xq[2c+1]) (low nibbles) or (xq[16+2c], xq[17+2c]) (high) and summed over chunks in 16-bit
 * lanes, then adjacent lanes pair-summed give the integer dot q_r . xq_b of each row in int lane r. 4-bit: 16 products
 * of at most 15 * 127 per lane (30480 < 2^15), summed over all 8 chunks; 5-bit: 31 * 127, so over 4 chunks at a time.
 * Per row: acc_r += dot_r * (scale_rb * d_b) and off_r += offset_rb * xsum_b (Q4_0/Q5_0: the scale, times -8/-16 at
 * the end), y_r = acc_r + off_r. The integer dots are exact; the float sums run block by block per row.
 */
final class NibbleGroups extends RowGroups {
    /** G K-quant sub-block scales or mins (bytes, 0..63). */
    static final VectorSpecies<Byte> BQ = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * G));
    /** Mask of bits 4 and 20: bit 4 of both short halves of an int lane. */
    private static final int FIFTH_BITS = 0x0010_0010;

    private final byte[] nib;
    /** Fifth bits, or null for the 4-bit types. */
    private final byte[] fifth;
    /**
     * Per-row scales as floats, or null where {@link #scale16} or {@link #subScale} holds them: only a file with an
     * infinite or NaN scale (or K-quant d) keeps floats, which carry it exactly.
     */
    private final float[] scale;
    /**
     * Q4_0/Q4_1/Q5_0/Q5_1: the scales as the file's F16 bits (exact; the kernels widen 16 at a time), a quarter of the
     * bytes a decode step reads per weight where floats were a fifth (Q4_0: 0.5 + 0.0625 instead of 0.5 + 0.125).
     */
    private final short[] scale16;
    /** Per-row offsets as floats (see {@link #scale}), or null. */
    private final float[] offset;
    /** Per-row offsets of Q4_1/Q5_1 as F16 bits, or null (Q4_0/Q5_0: {@link #offsetPerScale} * scale). */
    private final short[] offset16;
    /**
     * Q4_K/Q5_K: per row and sub-block the file's 6-bit scale and min ([groups][nb][G]); per row and 256-block its F16
     * d and dmin bits ([groups][nb/8][G]). The kernels form d * sc and -(dmin * min) in float where they read a
     * sub-block, as ggml's dequantizer does: 0.078 bytes per weight where float scales and offsets took 0.25 (a
     * Q4_K decode step reads 0.58 instead of 0.75 bytes per weight). Null for the other types.
     */
    private final byte[] subScale, subMin;
    private final short[] superScale, superMin;
    /** Q4_0/Q5_0: the offset is {@link #offsetPerScale} times the scale, applied once at the end. */
    private final boolean centred;
    private final float offsetPerScale;
    private final int nb;
    /** 256-blocks per row (the K-quants' d and dmin). */
    private final int nbK;

    private NibbleGroups(DType type, int rows, int cols, byte[] nib, byte[] fifth, float[] scale, short[] scale16,
                         float[] offset, short[] offset16, KScales k) {
        super(type, rows, cols);
        this.subScale = k == null ? null : k.subScale();
        this.subMin = k == null ? null : k.subMin();
        this.superScale = k == null ? null : k.superScale();
        this.superMin = k == null ? null : k.superMin();
        this.nbK = cols / 256;
        this.nib = nib;
        this.fifth = fifth;
        this.scale = scale;
        this.scale16 = scale16;
        this.offset = offset;
        this.offset16 = offset16;
        this.centred = type == DType.Q4_0 || type == DType.Q5_0;
        this.offsetPerScale = type == DType.Q4_0 ? -8f : type == DType.Q5_0 ? -16f : 0f;
        this.nb = cols / 32;
    }

    /** Whether this layout serves {@code type} here: the int8 GEMVs are on. */
    static boolean applies(DType type, boolean int8) {
        return RowGroups.applies(int8) && switch (type) {
            case Q4_0, Q4_1, Q4_K, Q5_0, Q5_1, Q5_K -> true;
            default -> false;
        };
    }

    static NibbleGroups from(DType type, MemorySegment src, long srcOffset, int rows, int cols) {
        boolean five = type == DType.Q5_0 || type == DType.Q5_1 || type == DType.Q5_K;
        int groups = (rows + G - 1) / G, nb = cols / 32;
        int groupBlocks = Math.multiplyExact(groups, nb);
        byte[] nib = new byte[Math.multiplyExact(groupBlocks, G * 16)];
        byte[] fifth = five ? new byte[Math.multiplyExact(groupBlocks, 4 * G)] : null;
        boolean centred = type == DType.Q4_0 || type == DType.Q5_0;
        boolean kQuant = type == DType.Q4_K || type == DType.Q5_K;
        boolean half = !kQuant; // _0/_1: d (and m) are F16 in the file
        float[] scale = kQuant ? null : new float[groupBlocks * G];
        float[] offset = centred || kQuant ? null : new float[groupBlocks * G];
        KScales ks = kQuant ? new KScales(groupBlocks * G, Math.multiplyExact(groups, cols / 256) * G) : null;
        int bs = type.blockSize, subs = bs / 32, blocksPerRow = cols / bs;
        int[] q = new int[bs], sc6 = new int[8], min6 = new int[8];
        float[] sc = new float[subs], of = new float[subs];
        ReadBehind behind = new ReadBehind(src, srcOffset);
        for (int r = 0; r < rows; r++) {
            behind.readUpTo(srcOffset + (long) r * blocksPerRow * type.blockBytes);
            int g = r / G, lr = r % G;
            for (int blk = 0; blk < blocksPerRow; blk++) {
                AffineBlocks.decode(type, src, srcOffset, (long) r * blocksPerRow + blk, q, sc, of);
                if (ks != null) {
                    int dd = AffineBlocks.kScales(type, src, srcOffset, (long) r * blocksPerRow + blk, sc6, min6);
                    int at = (g * blocksPerRow + blk) * G + lr;
                    ks.superScale()[at] = (short) dd;
                    ks.superMin()[at] = (short) (dd >>> 16);
                }
                for (int sub = 0; sub < subs; sub++) {
                    int gb = g * nb + blk * subs + sub;
                    if (ks != null) {
                        ks.subScale()[gb * G + lr] = (byte) sc6[sub];
                        ks.subMin()[gb * G + lr] = (byte) min6[sub];
                    } else {
                        scale[gb * G + lr] = sc[sub];
                        if (offset != null) offset[gb * G + lr] = of[sub];
                    }
                    for (int c = 0; c < 8; c++) {
                        for (int e = 0; e < 2; e++) {
                            int lo = q[32 * sub + 2 * c + e], hi = q[32 * sub + 16 + 2 * c + e];
                            nib[gb * G * 16 + CHUNK * c + 2 * lr + e] = (byte) ((lo & 15) | ((hi & 15) << 4));
                            if (five) {
                                int at = fifthIndex(gb, c, lr, e);
                                fifth[at] |= (byte) (((lo >>> 4) << fifthBit(c, false)) | ((hi >>> 4) << fifthBit(c, true)));
                            }
                        }
                    }
                }
            }
        }
        behind.finish(srcOffset + (long) rows * blocksPerRow * type.blockBytes);
        if (ks != null && !ks.finite()) { // an infinite or NaN d or dmin (a broken file): floats, as for the _0/_1 types
            scale = new float[groupBlocks * G];
            offset = new float[groupBlocks * G];
            for (int i = 0; i < scale.length; i++) {
                int at = superIndex(i, nb);
                scale[i] = Float.float16ToFloat(ks.superScale()[at]) * ks.subScale()[i];
                offset[i] = -(Float.float16ToFloat(ks.superMin()[at]) * ks.subMin()[i]);
            }
            ks = null;
        }
        short[] scale16 = half ? halves(scale) : null, offset16 = half && offset != null ? halves(offset) : null;
        if (half && (scale16 == null || (offset != null && offset16 == null))) {
            half = false; // an infinite or NaN scale (a broken file): keep floats, which carry it exactly
            scale16 = null;
            offset16 = null;
        }
        return new NibbleGroups(type, rows, cols, nib, fifth, half ? null : scale, scale16,
                half ? null : offset, offset16, ks);
    }

    /** The K-quants' scale fields as stored, while packing (see {@link #subScale}). */
    private record KScales(byte[] subScale, byte[] subMin, short[] superScale, short[] superMin) {
        KScales(int subBlocks, int superBlocks) {
            this(new byte[subBlocks], new byte[subBlocks], new short[superBlocks], new short[superBlocks]);
        }

        /** Whether every d and dmin is a finite half (the kernels' widening is exact for those only). */
        boolean finite() {
            for (int i = 0; i < superScale.length; i++) {
                if ((superScale[i] & 0x7C00) == 0x7C00 || (superMin[i] & 0x7C00) == 0x7C00) return false;
            }
            return true;
        }
    }

    /** The [groups][nb/8][G] index of the d and dmin that scale element i of a [groups][nb][G] array. */
    private static int superIndex(int i, int nb) {
        int gb = i / G, g = gb / nb, b = gb % nb;
        return (g * (nb / 8) + b / 8) * G + i % G;
    }

    /**
     * The F16 bits of values read from F16 fields (exact), or null if one is infinite or NaN: the kernels widen F16
     * by moving the bits into a float and multiplying by 2^112, which is exact for every finite half, subnormals
     * included, but not for those.
     */
    private static short[] halves(float[] values) {
        short[] h = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) return null;
            h[i] = Float.floatToFloat16(values[i]);
        }
        return h;
    }

    /** Scale i (of the [groups][nb][G] array) as a float. */
    private float scaleAt(int i) {
        if (subScale != null) return Float.float16ToFloat(superScale[superIndex(i, nb)]) * subScale[i];
        return scale16 != null ? Float.float16ToFloat(scale16[i]) : scale[i];
    }

    /** Offset i as a float (Q4_0/Q5_0: offsetPerScale times the scale). */
    private float offsetAt(int i) {
        if (subMin != null) return -(Float.float16ToFloat(superMin[superIndex(i, nb)]) * subMin[i]);
        return offset16 != null ? Float.float16ToFloat(offset16[i]) : offset != null ? offset[i] : offsetPerScale * scaleAt(i);
    }

    /** Index in {@link #fifth} of the byte holding the fifth bits of row r, parity e, chunk c of group sub-block gb. */
    private static int fifthIndex(int gb, int c, int r, int e) {
        return (gb * 2 + c / 4) * 2 * G + 2 * r + e;
    }

    /** Bit of that byte for the low-nibble (k = 2c + e) or high-nibble (k = 16 + 2c + e) value of chunk c. */
    private static int fifthBit(int c, boolean high) {
        return 2 * (c % 4) + (high ? 1 : 0);
    }

    @Override
    void groupDot(int g, Prep x, boolean vector, float[] out) {
        if (!vector) groupDotScalar(g, x.xq().q(), x.xq().d(), x.xq().sum(), out);
        else if (fifth == null) groupDot4(g, x.pairs(), x.xq().d(), x.xq().sum(), out);
        else groupDot5(g, x.pairs(), x.xq().d(), x.xq().sum(), out);
    }

    /** out[r] = row Gg + r . x for the G rows of group g, 4-bit quants (vector lanes = rows; see the class comment). */
    private void groupDot4(int g, int[] pairs, float[] xd, float[] xsum, float[] out) {
        FloatVector acc = FloatVector.zero(FG), off = acc;
        int gb0 = g * nb;
        for (int b = 0; b < nb; b++) {
            int base = (gb0 + b) * G * 16, xp = 16 * b;
            ShortVector s = ShortVector.zero(SG);
            for (int c = 0; c < 8; c++) {
                ShortVector w = widen(nib, base + CHUNK * c);
                s = s.add(w.and((short) 0xF).mul(pair(pairs, xp + c))).add(w.lanewise(VectorOperators.LSHR, 4).mul(pair(pairs, xp + 8 + c)));
            }
            IntVector si = s.reinterpretAsInts(); // pair sums, spelled out: see pairSumsNotShared
            FloatVector dot = (FloatVector) si.lanewise(VectorOperators.ASHR, 16)
                    .add(si.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
            // the block and group ends spelled out (see helpersNotCalled)
            int at = (gb0 + b) * G;
            int atK = (g * nbK + b / 8) * G;
            FloatVector sc = scale16 != null ? ((IntVector) ShortVector.fromArray(SH, scale16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subScale != null ? ((IntVector) ShortVector.fromArray(SH, superScale, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subScale, at).convertShape(VectorOperators.B2F, FG, 0))
                    : FloatVector.fromArray(FG, scale, at);
            FloatVector of = offset16 != null ? ((IntVector) ShortVector.fromArray(SH, offset16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subMin != null ? ((IntVector) ShortVector.fromArray(SH, superMin, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subMin, at).convertShape(VectorOperators.B2F, FG, 0)).neg()
                    : offset != null ? FloatVector.fromArray(FG, offset, at) : sc;
            acc = dot.fma(sc.mul(xd[b]), acc);
            off = of.fma(FloatVector.broadcast(FG, xsum[b]), off);
        }
        if (centred) off = off.mul(offsetPerScale);
        acc.add(off).intoArray(out, 0);
    }

    /**
     * The 5-bit GEMV cost ~0.10-0.15 ns per weight and row on Zen 3 (Zen 5, quad layout: ~0.03), the GEMM ~0.06
     * from 4 rows (its F32 panels, ~0.11 ns per weight, are shared by the rows). The 4-bit types keep the multi-row
     * int8 kernel (~0.032) up to the default; with 16-row groups (AVX-512) up to 63 rows: one thread, Zen 5, Q4_0
     * 4864x896, ns per weight and row, multi-row vs GEMM: 0.0120 vs 0.0138 at 32 rows, 0.0110 vs 0.0124 at 64, even
     * at 96, 0.0117 vs 0.0111 at 128; serving 32 clients (qwen2.5-0.5b Q4_0) 226 -> 187 ms per pass; pp512 stays on
     * the GEMM (with the multi-row kernel throughout it ran 248 tokens/s, not 312-332). The 5-bit multi-row kernel
     * gains less over its GEMV: Q5_0 4864x896, one thread, Zen 5, microseconds per call, multi-row vs GEMM (GEMV
     * per row at 2): 196 vs 289 at 2 rows, 337 vs 530 at 4, 614 vs 647 at 8, 1218 vs 948 at 16: GEMM from 8 rows.
     * Q4_0's 16-bit integer GEMM ({@link Int16Gemm}) overtakes the multi-row kernel earlier: one thread, Zen 5, Q4_0
     * 4864x896, ns per weight and row, Int16Gemm vs multi-row: 0.0122 vs 0.0118 at 16 rows, 0.0093 vs 0.0112-0.0113
     * at 24 and 32, 0.0090 vs 0.0115 at 48; two threads, 896x4864 (down), 0.0061-0.0065 vs 0.0062 at 24-32, 0.0054
     * vs 0.0062 at 48; 4864x896, 0.0051 vs 0.0061 at 24. So Q4_0 takes it from 24 rows: a server's batches of 32
     * clients run 31-32 sequences a pass, and at 32 as the threshold a pass of 31 took the slower kernel.
     */
    @Override
    int gemmMinRows() {
        if (fifth != null) return 8;
        if (G != 16) return super.gemmMinRows();
        return dtype == DType.Q4_0 && Int16Gemm.ENABLED && rounding != ActivationRounding.NONE ? 24 : 64;
    }

    /**
     * Q4_0 with 512-bit vectors multiplies a prefill in 16-bit integer lanes ({@link Int16Gemm}), rounding x to
     * q8_0 itself; not when x is to stay exact ({@link ActivationRounding#NONE}: the kernel tests, or
     * {@code -Dslmops.exactActivations=true}).
     */
    @Override
    boolean gemmRoundsInput(int m) {
        return dtype == DType.Q4_0 && Int16Gemm.ENABLED && rounding != ActivationRounding.NONE && runsGemm(m);
    }

    @Override
    void gemm(float[] x, int xOff, float[] y, int yOff, int m, dev.slmops.tensor.parallel.WorkerPool pool, boolean vector) {
        if (gemmRoundsInput(m) && VectorPath.honoured(vector)) {
            Int16Gemm.gemm(this, Int16Gemm.quantize(x, xOff, m, cols, pool), y, yOff, pool);
        } else {
            super.gemm(x, xOff, y, yOff, m, pool, vector);
        }
    }

    /**
     * {@link Int16Gemm}'s slab of panel p (groups 4p .. 4p+3; zeros past the last): 32-blocks [b0, b0 + blocks) as
     * {@code weights[bi * 2048 + j * 128 + gi * 32 + 2r + e]} = q - 8 of row 16 gi + r at k = 32 (b0 + bi) + 2j + e
     * (the chunk order widened: low nibbles are pairs 0..7, high nibbles 8..15), {@code scales[bi * 64 + gi * 16 + r]}
     * that row's block scale.
     */
    void int16Panel(int p, int b0, int blocks, short[] weights, float[] scales) {
        for (int gi = 0; gi < Int16Gemm.GROUPS_PER_PANEL; gi++) {
            int g = Int16Gemm.GROUPS_PER_PANEL * p + gi;
            for (int bi = 0; bi < blocks; bi++) {
                int wo = bi * Int16Gemm.BLOCK_SHORTS + gi * CHUNK, so = bi * Int16Gemm.NR + gi * G;
                if (g * G >= rows) {
                    for (int j = 0; j < Int16Gemm.PAIRS; j++) {
                        java.util.Arrays.fill(weights, wo + j * Int16Gemm.NR * 2, wo + j * Int16Gemm.NR * 2 + CHUNK, (short) 0);
                    }
                    java.util.Arrays.fill(scales, so, so + G, 0f);
                    continue;
                }
                int gb = g * nb + b0 + bi;
                for (int c = 0; c < 8; c++) {
                    ShortVector v = widen(nib, gb * G * 16 + CHUNK * c);
                    v.and((short) 0xF).sub((short) 8).intoArray(weights, wo + c * Int16Gemm.NR * 2);
                    v.lanewise(VectorOperators.LSHR, 4).sub((short) 8).intoArray(weights, wo + (8 + c) * Int16Gemm.NR * 2);
                }
                for (int r = 0; r < G; r++) scales[so + r] = scaleAt(gb * G + r);
            }
        }
    }

    /** Row n's quants minus 8 (Q4_0: the centred values) into q[0 .. K) and its block scales into d[0 .. K/32). */
    void centredQuants(int n, int[] q, float[] d) {
        int g = n / G, r = n % G;
        for (int b = 0; b < nb; b++) {
            int gb = g * nb + b;
            d[b] = scaleAt(gb * G + r);
            for (int j = 0; j < 32; j++) q[32 * b + j] = quant(gb, r, j) - 8;
        }
    }

    /** Multi-row kernels for both: {@link #groupDot4Rows4}, {@link #groupDot5Rows4} (and their two-row forms). */
    @Override
    boolean hasMultiRowInt8() {
        return true;
    }

    /** Groups [g0, g1) for activation rows r0 .. r0+g-1 (g = 4 or 2); out: 4G floats, the rows' G outputs each. */
    @Override
    void gemvRangeRows(Object[] prep, int r0, int g, float[] y, int yOff, int g0, int g1, float[] out) {
        Prep p0 = (Prep) prep[r0], p1 = (Prep) prep[r0 + 1];
        Prep p2 = g == 4 ? (Prep) prep[r0 + 2] : null, p3 = g == 4 ? (Prep) prep[r0 + 3] : null;
        for (int grp = g0; grp < g1; grp++) {
            if (fifth != null) {
                if (g == 4) groupDot5Rows4(grp, p0, p1, p2, p3, out);
                else groupDot5Rows2(grp, p0, p1, out);
            } else if (g == 4) {
                groupDot4Rows4(grp, p0, p1, p2, p3, out);
            } else {
                groupDot4Rows2(grp, p0, p1, out);
            }
            int live = Math.min(G, rows - G * grp);
            for (int r = 0; r < g; r++) System.arraycopy(out, G * r, y, yOff + (r0 + r) * rows + G * grp, live);
        }
    }

    /**
     * {@link #groupDot4} of group g for four activation rows at once: each chunk is widened and split into its
     * nibbles once for the four rows (the single-row kernel does it per row), then each row's products and sums are
     * the single-row kernel's, in its order: the same bits. out[Gr .. Gr+G) = row r's G outputs.
     *
     * <p>The block and group ends are spelled out, with {@link Int8Activations#pairSums}, instead of calling helpers:
     * in a method this large C2 stops inlining its own small methods (NodeCountInliningCutoff; the Vector API's are
     * force-inlined), and a vector passed to a call that is not inlined is boxed on every loop iteration (measured:
     * 3.5x slower). See also helpersNotCalled.
     */
    private void groupDot4Rows4(int g, Prep p0, Prep p1, Prep p2, Prep p3, float[] out) {
        int[] x0 = p0.pairs(), x1 = p1.pairs(), x2 = p2.pairs(), x3 = p3.pairs();
        float[] d0 = p0.xq().d(), d1 = p1.xq().d(), d2 = p2.xq().d(), d3 = p3.xq().d();
        float[] t0 = p0.xq().sum(), t1 = p1.xq().sum(), t2 = p2.xq().sum(), t3 = p3.xq().sum();
        FloatVector acc0 = FloatVector.zero(FG), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        FloatVector off0 = acc0, off1 = acc0, off2 = acc0, off3 = acc0;
        int gb0 = g * nb;
        for (int b = 0; b < nb; b++) {
            int base = (gb0 + b) * G * 16, xp = 16 * b;
            ShortVector s0 = ShortVector.zero(SG), s1 = s0, s2 = s0, s3 = s0;
            for (int c = 0; c < 8; c++) {
                ShortVector w = widen(nib, base + CHUNK * c);
                ShortVector lo = w.and((short) 0xF), hi = w.lanewise(VectorOperators.LSHR, 4);
                int l = xp + c, h = xp + 8 + c;
                s0 = s0.add(lo.mul(pair(x0, l))).add(hi.mul(pair(x0, h)));
                s1 = s1.add(lo.mul(pair(x1, l))).add(hi.mul(pair(x1, h)));
                s2 = s2.add(lo.mul(pair(x2, l))).add(hi.mul(pair(x2, h)));
                s3 = s3.add(lo.mul(pair(x3, l))).add(hi.mul(pair(x3, h)));
            }
            int at = (gb0 + b) * G;
            int atK = (g * nbK + b / 8) * G;
            FloatVector sc = scale16 != null ? ((IntVector) ShortVector.fromArray(SH, scale16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subScale != null ? ((IntVector) ShortVector.fromArray(SH, superScale, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subScale, at).convertShape(VectorOperators.B2F, FG, 0))
                    : FloatVector.fromArray(FG, scale, at);
            FloatVector of = offset16 != null ? ((IntVector) ShortVector.fromArray(SH, offset16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subMin != null ? ((IntVector) ShortVector.fromArray(SH, superMin, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subMin, at).convertShape(VectorOperators.B2F, FG, 0)).neg()
                    : offset != null ? FloatVector.fromArray(FG, offset, at) : sc;
            IntVector i0 = s0.reinterpretAsInts(), i1 = s1.reinterpretAsInts();
            IntVector i2 = s2.reinterpretAsInts(), i3 = s3.reinterpretAsInts();
            acc0 = ((FloatVector) i0.lanewise(VectorOperators.ASHR, 16).add(i0.lanewise(VectorOperators.LSHL, 16)
                    .lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0)).fma(sc.mul(d0[b]), acc0);
            acc1 = ((FloatVector) i1.lanewise(VectorOperators.ASHR, 16).add(i1.lanewise(VectorOperators.LSHL, 16)
                    .lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0)).fma(sc.mul(d1[b]), acc1);
            acc2 = ((FloatVector) i2.lanewise(VectorOperators.ASHR, 16).add(i2.lanewise(VectorOperators.LSHL, 16)
                    .lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0)).fma(sc.mul(d2[b]), acc2);
            acc3 = ((FloatVector) i3.lanewise(VectorOperators.ASHR, 16).add(i3.lanewise(VectorOperators.LSHL, 16)
                    .lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0)).fma(sc.mul(d3[b]), acc3);
            off0 = of.fma(FloatVector.broadcast(FG, t0[b]), off0);
            off1 = of.fma(FloatVector.broadcast(FG, t1[b]), off1);
            off2 = of.fma(FloatVector.broadcast(FG, t2[b]), off2);
            off3 = of.fma(FloatVector.broadcast(FG, t3[b]), off3);
        }
        if (centred) {
            off0 = off0.mul(offsetPerScale);
            off1 = off1.mul(offsetPerScale);
            off2 = off2.mul(offsetPerScale);
            off3 = off3.mul(offsetPerScale);
        }
        acc0.add(off0).intoArray(out, 0);
        acc1.add(off1).intoArray(out, G);
        acc2.add(off2).intoArray(out, 2 * G);
        acc3.add(off3).intoArray(out, 3 * G);
    }

    /** {@link #groupDot4Rows4} for two activation rows (the same spelled-out ends, for the same reason). */
    private void groupDot4Rows2(int g, Prep p0, Prep p1, float[] out) {
        int[] x0 = p0.pairs(), x1 = p1.pairs();
        float[] d0 = p0.xq().d(), d1 = p1.xq().d(), t0 = p0.xq().sum(), t1 = p1.xq().sum();
        FloatVector acc0 = FloatVector.zero(FG), acc1 = acc0, off0 = acc0, off1 = acc0;
        int gb0 = g * nb;
        for (int b = 0; b < nb; b++) {
            int base = (gb0 + b) * G * 16, xp = 16 * b;
            ShortVector s0 = ShortVector.zero(SG), s1 = s0;
            for (int c = 0; c < 8; c++) {
                ShortVector w = widen(nib, base + CHUNK * c);
                ShortVector lo = w.and((short) 0xF), hi = w.lanewise(VectorOperators.LSHR, 4);
                int l = xp + c, h = xp + 8 + c;
                s0 = s0.add(lo.mul(pair(x0, l))).add(hi.mul(pair(x0, h)));
                s1 = s1.add(lo.mul(pair(x1, l))).add(hi.mul(pair(x1, h)));
            }
            int at = (gb0 + b) * G;
            int atK = (g * nbK + b / 8) * G;
            FloatVector sc = scale16 != null ? ((IntVector) ShortVector.fromArray(SH, scale16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subScale != null ? ((IntVector) ShortVector.fromArray(SH, superScale, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subScale, at).convertShape(VectorOperators.B2F, FG, 0))
                    : FloatVector.fromArray(FG, scale, at);
            FloatVector of = offset16 != null ? ((IntVector) ShortVector.fromArray(SH, offset16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subMin != null ? ((IntVector) ShortVector.fromArray(SH, superMin, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subMin, at).convertShape(VectorOperators.B2F, FG, 0)).neg()
                    : offset != null ? FloatVector.fromArray(FG, offset, at) : sc;
            IntVector i0 = s0.reinterpretAsInts(), i1 = s1.reinterpretAsInts();
            acc0 = ((FloatVector) i0.lanewise(VectorOperators.ASHR, 16).add(i0.lanewise(VectorOperators.LSHL, 16)
                    .lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0)).fma(sc.mul(d0[b]), acc0);
            acc1 = ((FloatVector) i1.lanewise(VectorOperators.ASHR, 16).add(i1.lanewise(VectorOperators.LSHL, 16)
                    .lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0)).fma(sc.mul(d1[b]), acc1);
            off0 = of.fma(FloatVector.broadcast(FG, t0[b]), off0);
            off1 = of.fma(FloatVector.broadcast(FG, t1[b]), off1);
        }
        if (centred) {
            off0 = off0.mul(offsetPerScale);
            off1 = off1.mul(offsetPerScale);
        }
        acc0.add(off0).intoArray(out, 0);
        acc1.add(off1).intoArray(out, G);
    }

    /**
     * {@link #groupDot5} of group g for four activation rows at once (two: {@link #groupDot5Rows2}): each chunk's
     * 5-bit values are formed once for the rows, then each row's products and sums are the single-row kernel's, in
     * its order: the same bits. Block and group ends spelled out as in {@link #groupDot4Rows4}.
     */
    private void groupDot5Rows4(int g, Prep p0, Prep p1, Prep p2, Prep p3, float[] out) {
        int[] x0 = p0.pairs(), x1 = p1.pairs(), x2 = p2.pairs(), x3 = p3.pairs();
        float[] d0 = p0.xq().d(), d1 = p1.xq().d(), d2 = p2.xq().d(), d3 = p3.xq().d();
        float[] t0 = p0.xq().sum(), t1 = p1.xq().sum(), t2 = p2.xq().sum(), t3 = p3.xq().sum();
        FloatVector acc0 = FloatVector.zero(FG), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        FloatVector off0 = acc0, off1 = acc0, off2 = acc0, off3 = acc0;
        int gb0 = g * nb;
        for (int b = 0; b < nb; b++) {
            int base = (gb0 + b) * G * 16, xp = 16 * b;
            IntVector i0 = IntVector.zero(IG), i1 = i0, i2 = i0, i3 = i0;
            for (int half = 0; half < 8; half += 4) {
                ShortVector s0 = ShortVector.zero(SG), s1 = s0, s2 = s0, s3 = s0;
                ShortVector f = widen(fifth, fifthIndex(gb0 + b, half, 0, 0)).lanewise(VectorOperators.LSHL, 4);
                for (int i = 0; i < 4; i++) {
                    int c = half + i;
                    ShortVector w = widen(nib, base + CHUNK * c);
                    ShortVector lo = w.and((short) 0xF).or(f.lanewise(VectorOperators.LSHR, 2 * i).and((short) 0x10));
                    ShortVector hi = w.lanewise(VectorOperators.LSHR, 4).or(f.lanewise(VectorOperators.LSHR, 2 * i + 1).and((short) 0x10));
                    int l = xp + c, h = xp + 8 + c;
                    s0 = s0.add(lo.mul(pair(x0, l))).add(hi.mul(pair(x0, h)));
                    s1 = s1.add(lo.mul(pair(x1, l))).add(hi.mul(pair(x1, h)));
                    s2 = s2.add(lo.mul(pair(x2, l))).add(hi.mul(pair(x2, h)));
                    s3 = s3.add(lo.mul(pair(x3, l))).add(hi.mul(pair(x3, h)));
                }
                IntVector u0 = s0.reinterpretAsInts(), u1 = s1.reinterpretAsInts();
                IntVector u2 = s2.reinterpretAsInts(), u3 = s3.reinterpretAsInts();
                i0 = i0.add(u0.lanewise(VectorOperators.ASHR, 16).add(u0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)));
                i1 = i1.add(u1.lanewise(VectorOperators.ASHR, 16).add(u1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)));
                i2 = i2.add(u2.lanewise(VectorOperators.ASHR, 16).add(u2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)));
                i3 = i3.add(u3.lanewise(VectorOperators.ASHR, 16).add(u3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)));
            }
            int at = (gb0 + b) * G;
            int atK = (g * nbK + b / 8) * G;
            FloatVector sc = scale16 != null ? ((IntVector) ShortVector.fromArray(SH, scale16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subScale != null ? ((IntVector) ShortVector.fromArray(SH, superScale, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subScale, at).convertShape(VectorOperators.B2F, FG, 0))
                    : FloatVector.fromArray(FG, scale, at);
            FloatVector of = offset16 != null ? ((IntVector) ShortVector.fromArray(SH, offset16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subMin != null ? ((IntVector) ShortVector.fromArray(SH, superMin, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subMin, at).convertShape(VectorOperators.B2F, FG, 0)).neg()
                    : offset != null ? FloatVector.fromArray(FG, offset, at) : sc;
            acc0 = ((FloatVector) i0.convert(VectorOperators.I2F, 0)).fma(sc.mul(d0[b]), acc0);
            acc1 = ((FloatVector) i1.convert(VectorOperators.I2F, 0)).fma(sc.mul(d1[b]), acc1);
            acc2 = ((FloatVector) i2.convert(VectorOperators.I2F, 0)).fma(sc.mul(d2[b]), acc2);
            acc3 = ((FloatVector) i3.convert(VectorOperators.I2F, 0)).fma(sc.mul(d3[b]), acc3);
            off0 = of.fma(FloatVector.broadcast(FG, t0[b]), off0);
            off1 = of.fma(FloatVector.broadcast(FG, t1[b]), off1);
            off2 = of.fma(FloatVector.broadcast(FG, t2[b]), off2);
            off3 = of.fma(FloatVector.broadcast(FG, t3[b]), off3);
        }
        if (centred) {
            off0 = off0.mul(offsetPerScale);
            off1 = off1.mul(offsetPerScale);
            off2 = off2.mul(offsetPerScale);
            off3 = off3.mul(offsetPerScale);
        }
        acc0.add(off0).intoArray(out, 0);
        acc1.add(off1).intoArray(out, G);
        acc2.add(off2).intoArray(out, 2 * G);
        acc3.add(off3).intoArray(out, 3 * G);
    }

    /** {@link #groupDot5Rows4} for two activation rows. */
    private void groupDot5Rows2(int g, Prep p0, Prep p1, float[] out) {
        int[] x0 = p0.pairs(), x1 = p1.pairs();
        float[] d0 = p0.xq().d(), d1 = p1.xq().d(), t0 = p0.xq().sum(), t1 = p1.xq().sum();
        FloatVector acc0 = FloatVector.zero(FG), acc1 = acc0, off0 = acc0, off1 = acc0;
        int gb0 = g * nb;
        for (int b = 0; b < nb; b++) {
            int base = (gb0 + b) * G * 16, xp = 16 * b;
            IntVector i0 = IntVector.zero(IG), i1 = i0;
            for (int half = 0; half < 8; half += 4) {
                ShortVector s0 = ShortVector.zero(SG), s1 = s0;
                ShortVector f = widen(fifth, fifthIndex(gb0 + b, half, 0, 0)).lanewise(VectorOperators.LSHL, 4);
                for (int i = 0; i < 4; i++) {
                    int c = half + i;
                    ShortVector w = widen(nib, base + CHUNK * c);
                    ShortVector lo = w.and((short) 0xF).or(f.lanewise(VectorOperators.LSHR, 2 * i).and((short) 0x10));
                    ShortVector hi = w.lanewise(VectorOperators.LSHR, 4).or(f.lanewise(VectorOperators.LSHR, 2 * i + 1).and((short) 0x10));
                    int l = xp + c, h = xp + 8 + c;
                    s0 = s0.add(lo.mul(pair(x0, l))).add(hi.mul(pair(x0, h)));
                    s1 = s1.add(lo.mul(pair(x1, l))).add(hi.mul(pair(x1, h)));
                }
                IntVector u0 = s0.reinterpretAsInts(), u1 = s1.reinterpretAsInts();
                i0 = i0.add(u0.lanewise(VectorOperators.ASHR, 16).add(u0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)));
                i1 = i1.add(u1.lanewise(VectorOperators.ASHR, 16).add(u1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)));
            }
            int at = (gb0 + b) * G;
            int atK = (g * nbK + b / 8) * G;
            FloatVector sc = scale16 != null ? ((IntVector) ShortVector.fromArray(SH, scale16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subScale != null ? ((IntVector) ShortVector.fromArray(SH, superScale, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subScale, at).convertShape(VectorOperators.B2F, FG, 0))
                    : FloatVector.fromArray(FG, scale, at);
            FloatVector of = offset16 != null ? ((IntVector) ShortVector.fromArray(SH, offset16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subMin != null ? ((IntVector) ShortVector.fromArray(SH, superMin, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subMin, at).convertShape(VectorOperators.B2F, FG, 0)).neg()
                    : offset != null ? FloatVector.fromArray(FG, offset, at) : sc;
            acc0 = ((FloatVector) i0.convert(VectorOperators.I2F, 0)).fma(sc.mul(d0[b]), acc0);
            acc1 = ((FloatVector) i1.convert(VectorOperators.I2F, 0)).fma(sc.mul(d1[b]), acc1);
            off0 = of.fma(FloatVector.broadcast(FG, t0[b]), off0);
            off1 = of.fma(FloatVector.broadcast(FG, t1[b]), off1);
        }
        if (centred) {
            off0 = off0.mul(offsetPerScale);
            off1 = off1.mul(offsetPerScale);
        }
        acc0.add(off0).intoArray(out, 0);
        acc1.add(off1).intoArray(out, G);
    }

    /**
     * {@link #groupDot4} for 5-bit quants: each quad's fifth-bit bytes widened once beside the nibbles, a value's bit
     * shifted to bit 4 and ORed in (AVX-512: one ternary logic op with the nibble's mask), and 16-bit sums over a quad
     * of chunks at a time (16 products of at most 31 * 127 would overflow them).
     */
    private void groupDot5(int g, int[] pairs, float[] xd, float[] xsum, float[] out) {
        FloatVector acc = FloatVector.zero(FG), off = acc;
        int gb0 = g * nb;
        for (int b = 0; b < nb; b++) {
            int base = (gb0 + b) * G * 16, xp = 16 * b;
            IntVector dot = IntVector.zero(IG);
            for (int half = 0; half < 8; half += 4) {
                ShortVector s = ShortVector.zero(SG);
                ShortVector f = widen(fifth, fifthIndex(gb0 + b, half, 0, 0)).lanewise(VectorOperators.LSHL, 4);
                for (int i = 0; i < 4; i++) {
                    int c = half + i;
                    ShortVector w = widen(nib, base + CHUNK * c);
                    ShortVector lo = w.and((short) 0xF).or(f.lanewise(VectorOperators.LSHR, 2 * i).and((short) 0x10));
                    ShortVector hi = w.lanewise(VectorOperators.LSHR, 4).or(f.lanewise(VectorOperators.LSHR, 2 * i + 1).and((short) 0x10));
                    s = s.add(lo.mul(pair(pairs, xp + c))).add(hi.mul(pair(pairs, xp + 8 + c)));
                }
                IntVector si = s.reinterpretAsInts(); // pair sums, spelled out: see pairSumsNotShared
                dot = dot.add(si.lanewise(VectorOperators.ASHR, 16).add(si.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)));
            }
            // the block and group ends spelled out (see helpersNotCalled)
            int at = (gb0 + b) * G;
            int atK = (g * nbK + b / 8) * G;
            FloatVector sc = scale16 != null ? ((IntVector) ShortVector.fromArray(SH, scale16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subScale != null ? ((IntVector) ShortVector.fromArray(SH, superScale, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subScale, at).convertShape(VectorOperators.B2F, FG, 0))
                    : FloatVector.fromArray(FG, scale, at);
            FloatVector of = offset16 != null ? ((IntVector) ShortVector.fromArray(SH, offset16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                    : subMin != null ? ((IntVector) ShortVector.fromArray(SH, superMin, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subMin, at).convertShape(VectorOperators.B2F, FG, 0)).neg()
                    : offset != null ? FloatVector.fromArray(FG, offset, at) : sc;
            acc = ((FloatVector) dot.convert(VectorOperators.I2F, 0)).fma(sc.mul(xd[b]), acc);
            off = of.fma(FloatVector.broadcast(FG, xsum[b]), off);
        }
        if (centred) off = off.mul(offsetPerScale);
        acc.add(off).intoArray(out, 0);
    }

    /*
     * helpersNotCalled / pairSumsNotShared: the kernels here spell out their block ends, group ends and
     * Int8Activations.pairSums instead of calling helpers that take vectors. Where C2 does not inline such a helper
     * (its inlining budget runs out in these methods), the vector is boxed, and the Vector API methods the helper's
     * own compiled body calls see every caller's shapes: with 256-bit vectors from the Q8_0/Q6_K kernels and 512-bit
     * ones from here (16-row groups) they are no longer intrinsified and run lane by lane (measured, Zen 5:
     * qwen2.5-0.5b Q4_K_M decode 45 -> 12 tokens/s, AbstractVector.convert0 the top frame; then 52 with
     * pairSums spelled out, the rest in FloatVector.add called from the group end).
     */

    /** The 2G bytes of a chunk (nibbles) or quad (fifth bits) at {@code at} widened to 2G shorts (0..255). */
    private static ShortVector widen(byte[] bytes, int at) {
        return (ShortVector) ByteVector.fromArray(BG, bytes, at).convertShape(VectorOperators.ZERO_EXTEND_B2S, SG, 0);
    }

    /** The vector kernels' arithmetic one row at a time, in the same order (their reference). */
    private void groupDotScalar(int g, short[] xq, float[] xd, float[] xsum, float[] out) {
        for (int r = 0; r < G; r++) {
            float acc = 0f, off = 0f;
            for (int b = 0; b < nb; b++) {
                int gb = g * nb + b, dot = 0;
                for (int j = 0; j < 32; j++) dot += quant(gb, r, j) * xq[32 * b + j];
                acc = Math.fma(dot, scaleAt(gb * G + r) * xd[b], acc);
                off = Math.fma(centred ? scaleAt(gb * G + r) : offsetAt(gb * G + r), xsum[b], off);
            }
            if (centred) off *= offsetPerScale;
            out[r] = acc + off;
        }
    }

    /**
     * Row n alone, q * scale + offset per element as {@link #panel} computes it (the same bits), instead of the
     * base class's whole NR-row panels: a token's embedding from a tied Q4_0 table was 64 rows' work per step.
     */
    @Override
    public void row(int n, float[] dst, int off) {
        java.util.Objects.checkIndex(n, rows);
        java.util.Objects.checkFromIndexSize(off, cols, dst.length);
        int g = n / G, r = n % G;
        for (int b = 0; b < nb; b++) {
            int gb = g * nb + b;
            float s = scaleAt(gb * G + r), o = offsetAt(gb * G + r);
            for (int j = 0; j < 32; j++) dst[off + 32 * b + j] = quant(gb, r, j) * s + o;
        }
    }

    /** The unsigned quant of row r (in group sub-block gb), element j of the sub-block. */
    private int quant(int gb, int r, int j) {
        int c = (j % 16) / 2, e = j % 2;
        int v = nib[gb * G * 16 + CHUNK * c + 2 * r + e] & 0xFF;
        int q = j < 16 ? v & 0xF : v >>> 4;
        if (fifth != null) q |= ((fifth[fifthIndex(gb, c, r, e)] >>> fifthBit(c, j >= 16)) & 1) << 4;
        return q;
    }

    /**
     * Group g's columns of a GEMM panel: q * scale + offset (a multiply then an add, as Q4Rows/Q5Rows and ggml
     * round it). One widened chunk, read as G ints (lane =
     * row), holds four k's of all G rows of a group: low nibble of byte 2r (k = 2c), of byte 2r+1 (k = 2c+1), and
     * the high nibbles (k = 16+2c, 17+2c), each a G-float run of the panel.
     */
    @Override
    void groupPanel(int g, int k0, int kc, float[] dst, int column) {
        int nr = MicroKernel.NR;
        boolean vector = VectorPath.ENABLED;
        for (int kb = 0; kb < kc; kb += 32) {
            int gb = g * nb + (k0 + kb) / 32, d0 = kb * nr + column;
            if (vector) {
                int at = gb * G;
                int atK = (g * nbK + (k0 + kb) / 256) * G;
                FloatVector sv = scale16 != null ? ((IntVector) ShortVector.fromArray(SH, scale16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                        : subScale != null ? ((IntVector) ShortVector.fromArray(SH, superScale, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subScale, at).convertShape(VectorOperators.B2F, FG, 0))
                        : FloatVector.fromArray(FG, scale, at);
                FloatVector ov = offset16 != null ? ((IntVector) ShortVector.fromArray(SH, offset16, at).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE)
                        : subMin != null ? ((IntVector) ShortVector.fromArray(SH, superMin, atK).convertShape(VectorOperators.S2I, IG, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul((FloatVector) ByteVector.fromArray(BQ, subMin, at).convertShape(VectorOperators.B2F, FG, 0)).neg()
                        : offset != null ? FloatVector.fromArray(FG, offset, at) : sv.mul(offsetPerScale);
                for (int c = 0; c < 8; c++) {
                    IntVector w = widen(nib, gb * G * 16 + CHUNK * c).reinterpretAsInts();
                    IntVector lo = w.and(0x000F_000F), hi = w.lanewise(VectorOperators.LSHR, 4).and(0x000F_000F);
                    if (fifth != null) {
                        // the quad's fifth-bit shorts, shifted left by 4, in int lanes: right shifts by at most 7 move
                        // no bit across the short halves into bits 4 and 20
                        IntVector f = widen(fifth, fifthIndex(gb, c, 0, 0)).lanewise(VectorOperators.LSHL, 4).reinterpretAsInts();
                        lo = lo.or(f.lanewise(VectorOperators.LSHR, fifthBit(c, false)).and(FIFTH_BITS));
                        hi = hi.or(f.lanewise(VectorOperators.LSHR, fifthBit(c, true)).and(FIFTH_BITS));
                    }
                    // q * scale + offset, four G-float runs (spelled out: see helpersNotCalled)
                    ((FloatVector) lo.and(0xFFFF).convert(VectorOperators.I2F, 0)).mul(sv).add(ov)
                            .intoArray(dst, d0 + (2 * c) * nr);
                    ((FloatVector) lo.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0)).mul(sv).add(ov)
                            .intoArray(dst, d0 + (2 * c + 1) * nr);
                    ((FloatVector) hi.and(0xFFFF).convert(VectorOperators.I2F, 0)).mul(sv).add(ov)
                            .intoArray(dst, d0 + (16 + 2 * c) * nr);
                    ((FloatVector) hi.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0)).mul(sv).add(ov)
                            .intoArray(dst, d0 + (17 + 2 * c) * nr);
                }
            } else {
                for (int r = 0; r < G; r++) {
                    float s = scaleAt(gb * G + r), o = offsetAt(gb * G + r);
                    for (int j = 0; j < 32; j++) dst[d0 + j * nr + r] = quant(gb, r, j) * s + o;
                }
            }
        }
    }
}
