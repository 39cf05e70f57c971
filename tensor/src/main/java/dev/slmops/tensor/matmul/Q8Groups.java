package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Q8_0 weights for the int8 decode GEMV, rows interleaved in groups of G ({@link RowGroups}: 16 on AVX-512, 8 on
 * AVX2) so one pass computes G outputs with the vector lanes as rows, as {@link NibbleGroups} does for the 4- and
 * 5-bit families. Same values as {@link Q8Rows} (W = q * d, d the file's F16 block scale); only the layout and the
 * order of the float sums differ.
 *
 * <pre>
 *   group g = rows Gg .. Gg+G-1 (the last group padded with zero rows), block b = k / 32 (nb = K / 32 per row)
 *   q     [groups][nb][16 chunks][2G bytes]  chunk c, byte lane 2r + e = q[Gg + r][32b + 2c + e]
 *   scale [groups][nb][G]                    d of row Gg + r, block b: the file's F16 bits (0 for padding rows)
 * </pre>
 *
 * <p>GEMV per group and block: chunk c widened to 2G shorts times the broadcast pair (xq[32b + 2c], xq[32b + 2c + 1]);
 * two chunks' products summed in 16-bit lanes (|q * xq| <= 128 * 127, two of them 32512 < 2^15), then adjacent lanes
 * summed into int lane r: chunks 2j and 2j + 1 give the exact integer q . xq over quants 4j .. 4j+3 of row r's
 * block, which is lane j of ggml's own dot product (ggml_vec_dot_q8_0_q8_0 with mul_sum_i8_pairs_float: eight
 * float lanes of four products, each lane += that integer * (d * xd), summed at the end as hsum_float_8 does). The
 * kernels keep those eight accumulators per row and that order, so a Q8_0 model's logits are bit-identical to
 * llama.cpp's (QuantizerLlamaCppTest: difference 0.0; one exact integer dot per block instead, 4% faster end to end,
 * flipped one activation rounding downstream in that test and moved a logit by 1.2e-2).
 *
 * <p>Speed, one Zen 5 core, 1536 x 576 (L2-resident): 0.019 ns per weight, where the row layout's kernel ({@link
 * Q8Rows#dotInt8}: 32 weights of one row per step, a horizontal sum per row) takes 0.057, compute-bound; from
 * memory (4864 x 896) 43 GB/s of weights instead of 15. Decode, 2 threads, alternating runs: smollm2-135m Q8_0
 * 163-175 -> 168-209 tokens/s, qwen2.5-0.5b Q8_0 60-62 -> 64-65.
 */
final class Q8Groups extends RowGroups {
    /** Bytes of one group's block: 32 quants of G rows. */
    private static final int BLOCK = 16 * CHUNK;
    private static final VarHandle SHORTS = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private final byte[] q;
    private final short[] scale;
    private final int nb;

    private Q8Groups(int rows, int cols, byte[] q, short[] scale) {
        super(DType.Q8_0, rows, cols);
        this.q = q;
        this.scale = scale;
        this.nb = cols / 32;
    }

    /**
     * Repacks ggml Q8_0 blocks (F16 d, 32 int8 quants) of W [rows, cols]; null if a block scale is infinite or NaN
     * (a broken file: {@link Q8Rows} carries those exactly, the vector widening here does not).
     */
    static Q8Groups from(MemorySegment src, long offset, int rows, int cols) {
        int groups = (rows + G - 1) / G, nb = cols / 32;
        int groupBlocks = Math.multiplyExact(groups, nb);
        byte[] q = new byte[Math.multiplyExact(groupBlocks, BLOCK)];
        short[] scale = new short[Math.multiplyExact(groupBlocks, G)];
        ReadBehind behind = new ReadBehind(src, offset);
        for (int r = 0; r < rows; r++) {
            int g = r / G, lr = r % G;
            for (int b = 0; b < nb; b++) {
                long at = offset + 34L * ((long) r * nb + b);
                behind.readUpTo(at);
                int gb = g * nb + b, to = gb * BLOCK + 2 * lr;
                scale[gb * G + lr] = src.get(RowPacking.HALF, at);
                for (int c = 0; c < 16; c++) SHORTS.set(q, to + CHUNK * c, src.get(RowPacking.HALF, at + 2 + 2 * c));
            }
        }
        behind.finish(offset + 34L * rows * nb);
        return RowGroups.allFinite(scale) ? new Q8Groups(rows, cols, q, scale) : null;
    }

    @Override
    void groupDot(int g, Prep x, boolean vector, float[] out) {
        if (vector) groupDotVector(g, x.pairs(), x.xq().d(), out);
        else groupDotScalar(g, x.xq().q(), x.xq().d(), out);
    }

    /*
     * The kernels spell out their widening, broadcasts and scale conversions instead of calling helpers: as
     * NibbleGroups' helpersNotCalled says, a helper C2 does not inline returns a boxed vector. Measured on a 4-row
     * kernel of this layout: with helpers 0.028-0.033 ns per weight and row (4864 x 896, 8 rows, one thread), some
     * iterations 0.07-0.2; spelled out 0.015-0.017, steady.
     */

    /**
     * out[r] = row Gg + r . x for the G rows of group g (vector lanes = rows; see the class comment), in ggml's order:
     * accumulator j (0..7) takes fma(q . xq over quants 4j .. 4j+3 of the block, d * xd), then the eight are summed
     * as ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)). The chunk-pair loop rotates the eight through a0 (written
     * out, one accumulator per pair, it compiled to code that ran decode 25-35% slower end to end).
     */
    private void groupDotVector(int g, int[] pairs, float[] xd, float[] out) {
        FloatVector a0 = FloatVector.zero(FG), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int gb0 = g * nb;
        for (int b = 0; b < nb; b++) {
            int base = (gb0 + b) * BLOCK, xp = 16 * b;
            FloatVector sd = ((IntVector) ShortVector.fromArray(SH, scale, (gb0 + b) * G).convertShape(VectorOperators.S2I, IG, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE).mul(xd[b]);
            for (int c = 0; c < 16; c += 2) { // a0 is accumulator c / 2: the eight rotate once per block
                IntVector s = ((ShortVector) ByteVector.fromArray(BG, q, base + CHUNK * c).convertShape(VectorOperators.B2S, SG, 0))
                        .mul(IntVector.broadcast(IG, pairs[xp + c]).reinterpretAsShorts())
                        .add(((ShortVector) ByteVector.fromArray(BG, q, base + CHUNK * (c + 1)).convertShape(VectorOperators.B2S, SG, 0))
                                .mul(IntVector.broadcast(IG, pairs[xp + c + 1]).reinterpretAsShorts())).reinterpretAsInts();
                FloatVector next = ((FloatVector) s.lanewise(VectorOperators.ASHR, 16)
                        .add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                        .convert(VectorOperators.I2F, 0)).fma(sd, a0);
                a0 = a1;
                a1 = a2;
                a2 = a3;
                a3 = a4;
                a4 = a5;
                a5 = a6;
                a6 = a7;
                a7 = next;
            }
        }
        a0.add(a4).add(a2.add(a6)).add(a1.add(a5).add(a3.add(a7))).intoArray(out, 0);
    }

    /** {@link #groupDotVector}'s arithmetic one row at a time, in the same order (its reference: the same bits). */
    private void groupDotScalar(int g, short[] xq, float[] xd, float[] out) {
        float[] lane = new float[8];
        for (int r = 0; r < G; r++) {
            java.util.Arrays.fill(lane, 0f);
            for (int b = 0; b < nb; b++) {
                int gb = g * nb + b;
                float sd = Float.float16ToFloat(scale[gb * G + r]) * xd[b];
                for (int j = 0; j < 8; j++) {
                    int part = 0;
                    for (int i = 4 * j; i < 4 * j + 4; i++) part += quant(gb, r, i) * xq[32 * b + i];
                    lane[j] = Math.fma(part, sd, lane[j]);
                }
            }
            out[r] = ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]));
        }
    }

    /** Batched decode runs {@link #groupDotRows2}: each chunk widened once for two activation rows. */
    @Override
    boolean hasMultiRowInt8() {
        return true;
    }

    /**
     * Groups [g0, g1) for activation rows r0 .. r0+g-1 (g = 4 or 2), two rows per pass over a group (the second
     * pass of four reads the group from L1); out: 2G floats, the two rows' G outputs.
     */
    @Override
    void gemvRangeRows(Object[] prep, int r0, int g, float[] y, int yOff, int g0, int g1, float[] out) {
        for (int grp = g0; grp < g1; grp++) {
            int live = Math.min(G, rows - G * grp);
            for (int r = r0; r < r0 + g; r += 2) {
                Prep p0 = (Prep) prep[r], p1 = (Prep) prep[r + 1];
                groupDotRows2(grp, p0.pairs(), p0.xq().d(), p1.pairs(), p1.xq().d(), out);
                System.arraycopy(out, 0, y, yOff + r * rows + G * grp, live);
                System.arraycopy(out, G, y, yOff + (r + 1) * rows + G * grp, live);
            }
        }
    }

    /**
     * {@link #groupDotVector} of group g for two activation rows: each chunk is widened once for both, then each row's
     * products and sums are the single-row kernel's, in its order (the same bits). out[Gr .. Gr+G) = row r's G
     * outputs. Two rows, not four: each row keeps eight accumulators (ggml's lanes), and four rows' 32 would not fit
     * the 32 vector registers.
     */
    private void groupDotRows2(int g, int[] x0, float[] d0, int[] x1, float[] d1, float[] out) {
        FloatVector a0 = FloatVector.zero(FG), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        int gb0 = g * nb;
        for (int b = 0; b < nb; b++) {
            int base = (gb0 + b) * BLOCK, xp = 16 * b;
            FloatVector sc = ((IntVector) ShortVector.fromArray(SH, scale, (gb0 + b) * G).convertShape(VectorOperators.S2I, IG, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE);
            FloatVector sa = sc.mul(d0[b]), sb = sc.mul(d1[b]);
            for (int c = 0; c < 16; c += 2) { // as groupDot: a0 and b0 are accumulator c / 2
                ShortVector w0 = (ShortVector) ByteVector.fromArray(BG, q, base + CHUNK * c).convertShape(VectorOperators.B2S, SG, 0);
                ShortVector w1 = (ShortVector) ByteVector.fromArray(BG, q, base + CHUNK * (c + 1)).convertShape(VectorOperators.B2S, SG, 0);
                IntVector s = w0.mul(IntVector.broadcast(IG, x0[xp + c]).reinterpretAsShorts())
                        .add(w1.mul(IntVector.broadcast(IG, x0[xp + c + 1]).reinterpretAsShorts())).reinterpretAsInts();
                IntVector t = w0.mul(IntVector.broadcast(IG, x1[xp + c]).reinterpretAsShorts())
                        .add(w1.mul(IntVector.broadcast(IG, x1[xp + c + 1]).reinterpretAsShorts())).reinterpretAsInts();
                FloatVector nextA = ((FloatVector) s.lanewise(VectorOperators.ASHR, 16)
                        .add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                        .convert(VectorOperators.I2F, 0)).fma(sa, a0);
                FloatVector nextB = ((FloatVector) t.lanewise(VectorOperators.ASHR, 16)
                        .add(t.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                        .convert(VectorOperators.I2F, 0)).fma(sb, b0);
                a0 = a1;
                a1 = a2;
                a2 = a3;
                a3 = a4;
                a4 = a5;
                a5 = a6;
                a6 = a7;
                a7 = nextA;
                b0 = b1;
                b1 = b2;
                b2 = b3;
                b3 = b4;
                b4 = b5;
                b5 = b6;
                b6 = b7;
                b7 = nextB;
            }
        }
        a0.add(a4).add(a2.add(a6)).add(a1.add(a5).add(a3.add(a7))).intoArray(out, 0);
        b0.add(b4).add(b2.add(b6)).add(b1.add(b5).add(b3.add(b7))).intoArray(out, G);
    }

    /** The quant of row r (in group block gb), element j of the block. */
    private int quant(int gb, int r, int j) {
        return q[gb * BLOCK + CHUNK * (j / 2) + 2 * r + j % 2];
    }

    /** Row n alone: q * d per element, as {@link Q8Rows} and {@link #panel} compute it (the same bits). */
    @Override
    public void row(int n, float[] dst, int off) {
        java.util.Objects.checkIndex(n, rows);
        java.util.Objects.checkFromIndexSize(off, cols, dst.length);
        int g = n / G, r = n % G;
        for (int b = 0; b < nb; b++) {
            int gb = g * nb + b;
            float d = Float.float16ToFloat(scale[gb * G + r]);
            for (int j = 0; j < 32; j++) dst[off + 32 * b + j] = quant(gb, r, j) * d;
        }
    }

    /**
     * Group g's columns of a GEMM panel: q * d. A widened chunk read as G ints (lane = row) holds k = 2c in its low
     * half and 2c + 1 in its high half, each a G-float run of the panel: no transpose.
     */
    @Override
    void groupPanel(int g, int k0, int kc, float[] dst, int column) {
        int nr = MicroKernel.NR;
        for (int kb = 0; kb < kc; kb += 32) {
            int gb = g * nb + (k0 + kb) / 32, d0 = kb * nr + column;
            if (VectorPath.ENABLED) {
                FloatVector sv = ((IntVector) ShortVector.fromArray(SH, scale, gb * G).convertShape(VectorOperators.S2I, IG, 0))
                        .lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(HALF_SCALE);
                for (int c = 0; c < 16; c++) {
                    IntVector w = ((ShortVector) ByteVector.fromArray(BG, q, gb * BLOCK + CHUNK * c)
                            .convertShape(VectorOperators.B2S, SG, 0)).reinterpretAsInts();
                    ((FloatVector) w.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .convert(VectorOperators.I2F, 0)).mul(sv).intoArray(dst, d0 + (2 * c) * nr);
                    ((FloatVector) w.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).mul(sv)
                            .intoArray(dst, d0 + (2 * c + 1) * nr);
                }
            } else {
                for (int r = 0; r < G; r++) {
                    float d = Float.float16ToFloat(scale[gb * G + r]);
                    for (int j = 0; j < 32; j++) dst[d0 + j * nr + r] = quant(gb, r, j) * d;
                }
            }
        }
    }
}
