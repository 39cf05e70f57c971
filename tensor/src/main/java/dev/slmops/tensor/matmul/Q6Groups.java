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
import java.lang.foreign.ValueLayout;

/**
 * Q6_K weights for the int8 decode GEMV, rows interleaved in groups of G ({@link RowGroups}) as {@link Q8Groups}
 * does for Q8_0: the 6-bit quants minus 32 as int8 (one byte per weight, as {@link Q8Rows} and {@link Q6Rows} keep
 * them), the int8 sub-block scales and the F16 super-block d as the file has them. Same values as {@link Q6Rows}
 * (W = q * (d * sc)); only the layout and the order of the float sums differ.
 *
 * <pre>
 *   group g = rows Gg .. Gg+G-1 (the last padded with zero rows), 32-block b = k / 32 (nb = K / 32), 256-block K / 256
 *   q     [groups][nb][16 chunks][2G bytes]  chunk c, byte lane 2r + e = quant of row Gg + r at 32b + 2c + e, minus 32
 *   sc    [groups][nb][2][G]                 the int8 scales of the block's two 16-element sub-blocks, per row
 *   d     [groups][K / 256][G]               F16 bits of each row's super-block scale
 * </pre>
 *
 * <p>GEMV in ggml's order (ggml_vec_dot_q6_K_q8_K on AVX2): per row and 256-block, eight integer lanes, lane j
 * summing sc * (q . xq over quants 4j .. 4j+3) of each 32-block (exact: chunks 2j and 2j + 1, pair-summed, times the
 * sub-block's scale); at the block's end acc_j += float(lane j) * (d * xd) (one fused multiply-add), and the eight
 * are summed as hsum_float_8 does. |q * xq| <= 32 * 127, so two chunks' products fit 16-bit lanes.
 *
 * <p>Speed, one Zen 5 core: 34-37 GB/s of Q6_K weights (1536 x 576, 4864 x 896, 896 x 4864) where {@link Q6Rows}'
 * row kernel ran 10-11 (GemvBenchmark). Batched decode runs this GEMV per row over L1-sized blocks (QuantRowsBatch):
 * a two-row kernel would need 32 accumulators.
 */
final class Q6Groups extends RowGroups {
    /** Bytes of one group's 32-block: 32 quants of G rows. */
    private static final int BLOCK = 16 * CHUNK;
    /** G sub-block scales (bytes). */
    private static final VectorSpecies<Byte> BQ = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * G));

    private final byte[] q;
    private final byte[] sc;
    private final short[] d;
    /** 32-blocks and 256-blocks per row. */
    private final int nb, nbK;

    private Q6Groups(int rows, int cols, byte[] q, byte[] sc, short[] d) {
        super(DType.Q6_K, rows, cols);
        this.q = q;
        this.sc = sc;
        this.d = d;
        this.nb = cols / 32;
        this.nbK = cols / 256;
    }

    /**
     * Repacks ggml Q6_K blocks of W [rows, cols] (per 256: ql[128] low nibbles, qh[64] high 2 bits, sc[16] int8, F16
     * d); null if a d is infinite or NaN (a broken file: {@link Q6Rows} carries it exactly).
     */
    static Q6Groups from(MemorySegment src, long offset, int rows, int cols) {
        int groups = (rows + G - 1) / G, nb = cols / 32, nbK = cols / 256;
        int groupBlocks = Math.multiplyExact(groups, nb);
        byte[] q = new byte[Math.multiplyExact(groupBlocks, BLOCK)];
        byte[] sc = new byte[Math.multiplyExact(groupBlocks, 2 * G)];
        short[] d = new short[Math.multiplyExact(groups * nbK, G)];
        byte[] row = new byte[256];
        ReadBehind behind = new ReadBehind(src, offset);
        for (int r = 0; r < rows; r++) {
            int g = r / G, lr = r % G;
            for (int kb = 0; kb < nbK; kb++) {
                long at = offset + 210L * ((long) r * nbK + kb);
                behind.readUpTo(at);
                d[(g * nbK + kb) * G + lr] = src.get(RowPacking.HALF, at + 208);
                for (int half = 0; half < 2; half++) {
                    long ql = at + 64L * half, qh = at + 128 + 32L * half;
                    for (int l = 0; l < 32; l++) {
                        int lo0 = src.get(ValueLayout.JAVA_BYTE, ql + l) & 0xFF;
                        int lo1 = src.get(ValueLayout.JAVA_BYTE, ql + l + 32) & 0xFF;
                        int h = src.get(ValueLayout.JAVA_BYTE, qh + l) & 0xFF;
                        row[128 * half + l] = (byte) (((lo0 & 0xF) | ((h & 3) << 4)) - 32);
                        row[128 * half + l + 32] = (byte) (((lo1 & 0xF) | (((h >>> 2) & 3) << 4)) - 32);
                        row[128 * half + l + 64] = (byte) (((lo0 >>> 4) | (((h >>> 4) & 3) << 4)) - 32);
                        row[128 * half + l + 96] = (byte) (((lo1 >>> 4) | (((h >>> 6) & 3) << 4)) - 32);
                    }
                }
                for (int t = 0; t < 8; t++) {
                    int gb = g * nb + 8 * kb + t, to = gb * BLOCK + 2 * lr;
                    sc[(2 * gb) * G + lr] = src.get(ValueLayout.JAVA_BYTE, at + 192 + 2 * t);
                    sc[(2 * gb + 1) * G + lr] = src.get(ValueLayout.JAVA_BYTE, at + 193 + 2 * t);
                    for (int c = 0; c < 16; c++) {
                        q[to + CHUNK * c] = row[32 * t + 2 * c];
                        q[to + CHUNK * c + 1] = row[32 * t + 2 * c + 1];
                    }
                }
            }
        }
        behind.finish(offset + 210L * rows * nbK);
        return RowGroups.allFinite(d) ? new Q6Groups(rows, cols, q, sc, d) : null;
    }

    @Override
    void groupDot(int g, Prep x, boolean vector, float[] out) {
        if (vector) groupDotVector(g, x.pairs(), x.xq().d(), out);
        else groupDotScalar(g, x.xq().q(), x.xq().d(), out);
    }

    /**
     * out[r] = row Gg + r . x for the G rows of group g, in ggml's order (see the class comment). The integer lanes
     * rotate through i0 once per 32-block (the chunk-pair loop stays a loop: see Q8Groups.groupDotVector); the float ones
     * take their eight fused multiply-adds written out at each 256-block's end. Widening, broadcasts and conversions
     * are spelled out (NibbleGroups' helpersNotCalled).
     */
    private void groupDotVector(int g, int[] pairs, float[] xd, float[] out) {
        FloatVector a0 = FloatVector.zero(FG), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int gb0 = g * nb;
        for (int kb = 0; kb < nbK; kb++) {
            IntVector i0 = IntVector.zero(IG), i1 = i0, i2 = i0, i3 = i0, i4 = i0, i5 = i0, i6 = i0, i7 = i0;
            for (int b = 8 * kb; b < 8 * kb + 8; b++) {
                int base = (gb0 + b) * BLOCK, xp = 16 * b;
                IntVector s0 = (IntVector) ByteVector.fromArray(BQ, sc, 2 * (gb0 + b) * G).convertShape(VectorOperators.B2I, IG, 0);
                IntVector s1 = (IntVector) ByteVector.fromArray(BQ, sc, (2 * (gb0 + b) + 1) * G).convertShape(VectorOperators.B2I, IG, 0);
                for (int c = 0; c < 16; c += 2) { // i0 is lane c / 2; sub-block 0 scales chunks 0..7, sub-block 1 8..15
                    IntVector s = ((ShortVector) ByteVector.fromArray(BG, q, base + CHUNK * c).convertShape(VectorOperators.B2S, SG, 0))
                            .mul(IntVector.broadcast(IG, pairs[xp + c]).reinterpretAsShorts())
                            .add(((ShortVector) ByteVector.fromArray(BG, q, base + CHUNK * (c + 1)).convertShape(VectorOperators.B2S, SG, 0))
                                    .mul(IntVector.broadcast(IG, pairs[xp + c + 1]).reinterpretAsShorts())).reinterpretAsInts();
                    IntVector next = s.lanewise(VectorOperators.ASHR, 16).add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                            .mul(c < 8 ? s0 : s1).add(i0);
                    i0 = i1;
                    i1 = i2;
                    i2 = i3;
                    i3 = i4;
                    i4 = i5;
                    i5 = i6;
                    i6 = i7;
                    i7 = next;
                }
            }
            FloatVector dd = ((IntVector) ShortVector.fromArray(SH, d, (g * nbK + kb) * G).convertShape(VectorOperators.S2I, IG, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul(xd[8 * kb]);
            a0 = ((FloatVector) i0.convert(VectorOperators.I2F, 0)).fma(dd, a0);
            a1 = ((FloatVector) i1.convert(VectorOperators.I2F, 0)).fma(dd, a1);
            a2 = ((FloatVector) i2.convert(VectorOperators.I2F, 0)).fma(dd, a2);
            a3 = ((FloatVector) i3.convert(VectorOperators.I2F, 0)).fma(dd, a3);
            a4 = ((FloatVector) i4.convert(VectorOperators.I2F, 0)).fma(dd, a4);
            a5 = ((FloatVector) i5.convert(VectorOperators.I2F, 0)).fma(dd, a5);
            a6 = ((FloatVector) i6.convert(VectorOperators.I2F, 0)).fma(dd, a6);
            a7 = ((FloatVector) i7.convert(VectorOperators.I2F, 0)).fma(dd, a7);
        }
        a0.add(a4).add(a2.add(a6)).add(a1.add(a5).add(a3.add(a7))).intoArray(out, 0);
    }

    /** {@link #groupDotVector}'s arithmetic one row at a time, in the same order (its reference: the same bits). */
    private void groupDotScalar(int g, short[] xq, float[] xd, float[] out) {
        float[] acc = new float[8];
        int[] lane = new int[8];
        for (int r = 0; r < G; r++) {
            java.util.Arrays.fill(acc, 0f);
            for (int kb = 0; kb < nbK; kb++) {
                java.util.Arrays.fill(lane, 0);
                for (int b = 8 * kb; b < 8 * kb + 8; b++) {
                    int gb = g * nb + b;
                    for (int j = 0; j < 8; j++) {
                        int part = 0;
                        for (int i = 4 * j; i < 4 * j + 4; i++) part += quant(gb, r, i) * xq[32 * b + i];
                        lane[j] += part * sc[(2 * gb + j / 4) * G + r];
                    }
                }
                float dd = Float.float16ToFloat(d[(g * nbK + kb) * G + r]) * xd[8 * kb];
                for (int j = 0; j < 8; j++) acc[j] = Math.fma(lane[j], dd, acc[j]);
            }
            out[r] = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
        }
    }

    /** The quant (minus 32) of row r in group 32-block gb, element j of the block. */
    private int quant(int gb, int r, int j) {
        return q[gb * BLOCK + CHUNK * (j / 2) + 2 * r + j % 2];
    }

    /** The scale of row r's sub-block h (0, 1) of group 32-block gb: d * sc, as {@link Q6Rows} forms it. */
    private float scaleAt(int g, int gb, int h, int r) {
        int kb = (gb - g * nb) / 8;
        return Float.float16ToFloat(d[(g * nbK + kb) * G + r]) * sc[(2 * gb + h) * G + r];
    }

    /** Row n alone: (d * sc) * q per element, as {@link Q6Rows} computes it (the same bits). */
    @Override
    public void row(int n, float[] dst, int off) {
        java.util.Objects.checkIndex(n, rows);
        java.util.Objects.checkFromIndexSize(off, cols, dst.length);
        int g = n / G, r = n % G;
        for (int b = 0; b < nb; b++) {
            int gb = g * nb + b;
            for (int j = 0; j < 32; j++) dst[off + 32 * b + j] = scaleAt(g, gb, j / 16, r) * quant(gb, r, j);
        }
    }

    /**
     * Group g's columns of a GEMM panel: (d * sc) * q, each widened chunk read as G ints giving k = 2c (low half)
     * and 2c + 1 (high half) of the group's rows.
     */
    @Override
    void groupPanel(int g, int k0, int kc, float[] dst, int column) {
        int nr = MicroKernel.NR;
        for (int kb = 0; kb < kc; kb += 32) {
            int b = (k0 + kb) / 32, gb = g * nb + b, d0 = kb * nr + column;
            if (VectorPath.ENABLED) {
                FloatVector dv = ((IntVector) ShortVector.fromArray(SH, d, (g * nbK + b / 8) * G).convertShape(VectorOperators.S2I, IG, 0))
                        .lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE);
                FloatVector sv0 = dv.mul((FloatVector) ByteVector.fromArray(BQ, sc, 2 * gb * G).convertShape(VectorOperators.B2F, FG, 0));
                FloatVector sv1 = dv.mul((FloatVector) ByteVector.fromArray(BQ, sc, (2 * gb + 1) * G).convertShape(VectorOperators.B2F, FG, 0));
                for (int c = 0; c < 16; c++) {
                    FloatVector sv = c < 8 ? sv0 : sv1;
                    IntVector w = ((ShortVector) ByteVector.fromArray(BG, q, gb * BLOCK + CHUNK * c)
                            .convertShape(VectorOperators.B2S, SG, 0)).reinterpretAsInts();
                    sv.mul((FloatVector) w.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .convert(VectorOperators.I2F, 0)).intoArray(dst, d0 + (2 * c) * nr);
                    sv.mul((FloatVector) w.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .intoArray(dst, d0 + (2 * c + 1) * nr);
                }
            } else {
                for (int r = 0; r < G; r++) {
                    for (int j = 0; j < 32; j++) dst[d0 + j * nr + r] = scaleAt(g, gb, j / 16, r) * quant(gb, r, j);
                }
            }
        }
    }
}
