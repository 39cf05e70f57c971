package dev.slmops.tensor.matmul;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import static dev.slmops.tensor.matmul.Int8Activations.B16;
import static dev.slmops.tensor.matmul.Int8Activations.F8;
import static dev.slmops.tensor.matmul.Int8Activations.I8;

/**
 * One Q8_0 weight row against several activation rows rounded to int8 (batched decode), bit-identical to each
 * row's {@link Q8Rows#dotInt8}. That kernel's block value, lane i, is the exact integer
 * {@code w[2i] x[2i] + w[2i+1] x[2i+1] + w[2i+16] x[2i+16] + w[2i+17] x[2i+17]} (16-bit products, pair sums), as a
 * float. Here the same integer is made in floats: the weights of a block are widened ONCE, de-interleaved into
 * the four vectors w[2i], w[2i+1], w[2i+16], w[2i+17]; each activation row keeps its quants as floats in the same
 * order ({@link MultiRowActivations}); then one multiply and three fused multiply-adds per row give the lane sum.
 * Every product and partial sum is an integer below 2^16 (|w| <= 128, |x| <= 127), exact in a float, so no step
 * rounds and the result equals the integer kernel's I2F. The scale {@code d * xd}, the fused add into the
 * accumulator of the block's parity and the final tree sum are the GEMV's. Per row and block that is 5 vector
 * operations instead of 11 (2 short multiplies, an add, 4 for the pair sums, a conversion, the fused add).
 *
 * <pre>
 *   q  [.. base + k]  int8 weight quants (the row at base)      d  [.. (base + k)/32]  weight block scales (F16 bits)
 *   xf [R][K]         activation quants as floats, per 32-block in the order of {@link MultiRowActivations}
 *   xd [R][K/32]      activation block scales
 *   out               out[outOff + j * outStride] = the dot product of activation row r0 + j
 * </pre>
 */
final class Q8MultiRow {
    private Q8MultiRow() {
    }

    /**
     * The weight row at q[base..base+k) against activation rows r0 .. r0+3: out[outOff + j * outStride] = the dot
     * product of row r0 + j (bit-identical to its GEMV). {@code sums}: the caller's scratch of 32 floats.
     *
     * <p>Everything is spelled out in the loop, no helper taking or returning a vector: where C2 does not inline such
     * a helper (this method is past its inlining budget), the vector is boxed, and with 512-bit vectors elsewhere in
     * the process the helper's Vector API calls are no longer intrinsified (measured, Zen 5 AVX-512, smollm2-135m
     * Q8_0: a 16-token prefill took 380 ms with helpers for the widening and the lane sums, against 8 ms per single
     * token). See NibbleGroups' helpersNotCalled.
     */
    static void dotRows4(byte[] q, short[] d, int base, int k, float[][] xf, float[][] xd, int r0,
                         float[] out, int outOff, int outStride, float[] sums) {
        float[] fa = xf[r0], fb = xf[r0 + 1], fc = xf[r0 + 2], fe = xf[r0 + 3];
        float[] da = xd[r0], db = xd[r0 + 1], dc = xd[r0 + 2], de = xd[r0 + 3];
        // acc{row}{0,1}: after each block the pair swaps, so {row}0 is always the next block's parity
        FloatVector a0 = FloatVector.zero(F8), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
        int sb = base / 32;
        for (int i = 0, b = 0; i < k; i += 32, b++) {
            // int lane j = the little-endian 16-bit pair (q[2j], q[2j+1]) of each half block, sign-extended
            IntVector v0 = (IntVector) ByteVector.fromArray(B16, q, base + i).reinterpretAsShorts()
                    .convertShape(VectorOperators.S2I, I8, 0);
            IntVector v1 = (IntVector) ByteVector.fromArray(B16, q, base + i + 16).reinterpretAsShorts()
                    .convertShape(VectorOperators.S2I, I8, 0);
            // w0, w2: each pair's low byte, signed; w1, w3: its high byte
            FloatVector w0 = (FloatVector) v0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector w1 = (FloatVector) v0.lanewise(VectorOperators.ASHR, 8).convert(VectorOperators.I2F, 0);
            FloatVector w2 = (FloatVector) v1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector w3 = (FloatVector) v1.lanewise(VectorOperators.ASHR, 8).convert(VectorOperators.I2F, 0);
            float s = Float.float16ToFloat(d[sb + b]);
            // per row, lane j = w0 x[j] + w1 x[j+8] + w2 x[j+16] + w3 x[j+24] (exact: see the class comment)
            FloatVector na = w3.fma(FloatVector.fromArray(F8, fa, i + 24), w2.fma(FloatVector.fromArray(F8, fa, i + 16),
                    w1.fma(FloatVector.fromArray(F8, fa, i + 8), w0.mul(FloatVector.fromArray(F8, fa, i)))))
                    .fma(FloatVector.broadcast(F8, s * da[b]), a0);
            FloatVector nb = w3.fma(FloatVector.fromArray(F8, fb, i + 24), w2.fma(FloatVector.fromArray(F8, fb, i + 16),
                    w1.fma(FloatVector.fromArray(F8, fb, i + 8), w0.mul(FloatVector.fromArray(F8, fb, i)))))
                    .fma(FloatVector.broadcast(F8, s * db[b]), b0);
            FloatVector nc = w3.fma(FloatVector.fromArray(F8, fc, i + 24), w2.fma(FloatVector.fromArray(F8, fc, i + 16),
                    w1.fma(FloatVector.fromArray(F8, fc, i + 8), w0.mul(FloatVector.fromArray(F8, fc, i)))))
                    .fma(FloatVector.broadcast(F8, s * dc[b]), c0);
            FloatVector ne = w3.fma(FloatVector.fromArray(F8, fe, i + 24), w2.fma(FloatVector.fromArray(F8, fe, i + 16),
                    w1.fma(FloatVector.fromArray(F8, fe, i + 8), w0.mul(FloatVector.fromArray(F8, fe, i)))))
                    .fma(FloatVector.broadcast(F8, s * de[b]), e0);
            a0 = a1; a1 = na; b0 = b1; b1 = nb; c0 = c1; c1 = nc; e0 = e1; e1 = ne;
        }
        // per row acc0 + acc1, lane by lane, into the caller's scratch (an array made here per output row, or a
        // call taking the vector, is not optimised away: 2.5 MB of garbage per 4864-row matmul); then the GEMV's tree
        a0.add(a1).intoArray(sums, 0);
        b0.add(b1).intoArray(sums, 8);
        c0.add(c1).intoArray(sums, 16);
        e0.add(e1).intoArray(sums, 24);
        for (int j = 0; j < 4; j++) out[outOff + j * outStride] = MultiRowActivations.treeSum8(sums, 8 * j);
    }

    /** {@link #dotRows4} for activation rows r0, r0+1 (spelled out alike). */
    static void dotRows2(byte[] q, short[] d, int base, int k, float[][] xf, float[][] xd, int r0,
                         float[] out, int outOff, int outStride, float[] sums) {
        float[] fa = xf[r0], fb = xf[r0 + 1];
        float[] da = xd[r0], db = xd[r0 + 1];
        FloatVector a0 = FloatVector.zero(F8), a1 = a0, b0 = a0, b1 = a0;
        int sb = base / 32;
        for (int i = 0, b = 0; i < k; i += 32, b++) {
            IntVector v0 = (IntVector) ByteVector.fromArray(B16, q, base + i).reinterpretAsShorts()
                    .convertShape(VectorOperators.S2I, I8, 0);
            IntVector v1 = (IntVector) ByteVector.fromArray(B16, q, base + i + 16).reinterpretAsShorts()
                    .convertShape(VectorOperators.S2I, I8, 0);
            FloatVector w0 = (FloatVector) v0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector w1 = (FloatVector) v0.lanewise(VectorOperators.ASHR, 8).convert(VectorOperators.I2F, 0);
            FloatVector w2 = (FloatVector) v1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector w3 = (FloatVector) v1.lanewise(VectorOperators.ASHR, 8).convert(VectorOperators.I2F, 0);
            float s = Float.float16ToFloat(d[sb + b]);
            FloatVector na = w3.fma(FloatVector.fromArray(F8, fa, i + 24), w2.fma(FloatVector.fromArray(F8, fa, i + 16),
                    w1.fma(FloatVector.fromArray(F8, fa, i + 8), w0.mul(FloatVector.fromArray(F8, fa, i)))))
                    .fma(FloatVector.broadcast(F8, s * da[b]), a0);
            FloatVector nb = w3.fma(FloatVector.fromArray(F8, fb, i + 24), w2.fma(FloatVector.fromArray(F8, fb, i + 16),
                    w1.fma(FloatVector.fromArray(F8, fb, i + 8), w0.mul(FloatVector.fromArray(F8, fb, i)))))
                    .fma(FloatVector.broadcast(F8, s * db[b]), b0);
            a0 = a1; a1 = na; b0 = b1; b1 = nb;
        }
        a0.add(a1).intoArray(sums, 0);
        b0.add(b1).intoArray(sums, 8);
        out[outOff] = MultiRowActivations.treeSum8(sums, 0);
        out[outOff + outStride] = MultiRowActivations.treeSum8(sums, 8);
    }

    /*
     * 16 lanes (AVX-512): two blocks at a time. The GEMV sums even blocks into one 8-lane accumulator and odd ones
     * into another; here lanes 0..7 are the even block's and 8..15 the odd one's, so one 16-lane multiply-add does
     * both blocks' work for a row, and each lane still sees the GEMV's values in the GEMV's order: the same bits.
     */

    /** Whether Q8_0 rows with K a multiple of 64 take the 16-lane kernels ({@code -Dslmops.q8Wide=false}: 8 lanes). */
    static final boolean WIDE = FloatVector.SPECIES_PREFERRED.length() >= 16
            && !"false".equalsIgnoreCase(System.getProperty("slmops.q8Wide"));
    private static final VectorSpecies<Float> F16L = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16L = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    /** The 16-byte quarters of a block pair [b.lo, b.hi, b1.lo, b1.hi] (as 4-int runs) reordered to [b.lo, b1.lo, b.hi, b1.hi]. */
    private static final VectorShuffle<Integer> HALVES = VectorShuffle.fromValues(I16L,
            0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
    /** Lanes 8..15: the odd block's. */
    private static final VectorMask<Float> ODD = VectorMask.fromLong(F16L, 0xFF00L);
    /*
     * The GEMV's end for two 16-lane accumulators P and Q at once: P.blend(Q, ODD) + Q.blend(P, ODD) rearranged by
     * SWAP holds P's halves added lane by lane (acc0.add(acc1) of P's GEMV) in lanes 0..7 and Q's in 8..15; two more
     * rearranged adds within each half (FOUR, then TWO) and a scalar add of lanes 0 and 1 (8 and 9) are
     * MultiRowActivations.treeSum8's tree: ((t0 + t4) + (t2 + t6)) + ((t1 + t5) + (t3 + t7)). The same bits, with ~6
     * vector operations per output where the scalar end spilled the lanes and added 15 of them one by one (~9% of a
     * batched Q8_0 decode step, JFR).
     */
    private static final VectorShuffle<Float> SWAP = VectorShuffle.fromOp(F16L, i -> (i + 8) & 15);
    private static final VectorShuffle<Float> FOUR = VectorShuffle.fromOp(F16L, i -> (i & 8) | ((i + 4) & 7));
    private static final VectorShuffle<Float> TWO = VectorShuffle.fromOp(F16L, i -> (i & 8) | ((i + 2) & 7));

    /**
     * {@link #dotRows4} with 16 lanes (k a multiple of 64; xf in the paired layout of {@link MultiRowActivations}, d8
     * its repeated scales) for two weight rows at once (at base and base + k; outputs at outOff and outOff + 1):
     * each activation vector is loaded once for both rows. Per weight row the activations of 4 rows are 16 floats
     * per weight (4 bytes each, against the weight's one byte): read once per weight row, they were most of the
     * kernel's memory traffic (from L2 once K is more than ~2K). The same bits per output.
     */
    static void dotRows4Wide2(byte[] q, short[] d, int base, int k, float[][] xf, float[][] d8, int r0,
                              float[] out, int outOff, int outStride) {
        float[] fa = xf[r0], fb = xf[r0 + 1], fc = xf[r0 + 2], fe = xf[r0 + 3];
        float[] da = d8[r0], db = d8[r0 + 1], dc = d8[r0 + 2], de = d8[r0 + 3];
        // {weight row}{activation row}
        FloatVector a0 = FloatVector.zero(F16L), b0 = a0, c0 = a0, e0 = a0, a1 = a0, b1 = a0, c1 = a0, e1 = a0;
        int sb0 = base / 32, sb1 = (base + k) / 32;
        for (int i = 0; i < k; i += 64) {
            ShortVector p0 = ByteVector.fromArray(B64, q, base + i).reinterpretAsInts().rearrange(HALVES)
                    .reinterpretAsShorts();
            ShortVector p1 = ByteVector.fromArray(B64, q, base + k + i).reinterpretAsInts().rearrange(HALVES)
                    .reinterpretAsShorts();
            IntVector v00 = (IntVector) p0.convertShape(VectorOperators.S2I, I16L, 0);
            IntVector v01 = (IntVector) p0.convertShape(VectorOperators.S2I, I16L, 1);
            IntVector v10 = (IntVector) p1.convertShape(VectorOperators.S2I, I16L, 0);
            IntVector v11 = (IntVector) p1.convertShape(VectorOperators.S2I, I16L, 1);
            FloatVector w00 = (FloatVector) v00.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector w01 = (FloatVector) v00.lanewise(VectorOperators.ASHR, 8).convert(VectorOperators.I2F, 0);
            FloatVector w02 = (FloatVector) v01.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector w03 = (FloatVector) v01.lanewise(VectorOperators.ASHR, 8).convert(VectorOperators.I2F, 0);
            FloatVector w10 = (FloatVector) v10.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector w11 = (FloatVector) v10.lanewise(VectorOperators.ASHR, 8).convert(VectorOperators.I2F, 0);
            FloatVector w12 = (FloatVector) v11.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector w13 = (FloatVector) v11.lanewise(VectorOperators.ASHR, 8).convert(VectorOperators.I2F, 0);
            int blk = i / 32, p = i / 4;
            FloatVector dw0 = FloatVector.broadcast(F16L, Float.float16ToFloat(d[sb0 + blk]))
                    .blend(Float.float16ToFloat(d[sb0 + blk + 1]), ODD);
            FloatVector dw1 = FloatVector.broadcast(F16L, Float.float16ToFloat(d[sb1 + blk]))
                    .blend(Float.float16ToFloat(d[sb1 + blk + 1]), ODD);
            FloatVector x0 = FloatVector.fromArray(F16L, fa, i), x1 = FloatVector.fromArray(F16L, fa, i + 16);
            FloatVector x2 = FloatVector.fromArray(F16L, fa, i + 32), x3 = FloatVector.fromArray(F16L, fa, i + 48);
            FloatVector xd = FloatVector.fromArray(F16L, da, p);
            a0 = w03.fma(x3, w02.fma(x2, w01.fma(x1, w00.mul(x0)))).fma(dw0.mul(xd), a0);
            a1 = w13.fma(x3, w12.fma(x2, w11.fma(x1, w10.mul(x0)))).fma(dw1.mul(xd), a1);
            x0 = FloatVector.fromArray(F16L, fb, i);
            x1 = FloatVector.fromArray(F16L, fb, i + 16);
            x2 = FloatVector.fromArray(F16L, fb, i + 32);
            x3 = FloatVector.fromArray(F16L, fb, i + 48);
            xd = FloatVector.fromArray(F16L, db, p);
            b0 = w03.fma(x3, w02.fma(x2, w01.fma(x1, w00.mul(x0)))).fma(dw0.mul(xd), b0);
            b1 = w13.fma(x3, w12.fma(x2, w11.fma(x1, w10.mul(x0)))).fma(dw1.mul(xd), b1);
            x0 = FloatVector.fromArray(F16L, fc, i);
            x1 = FloatVector.fromArray(F16L, fc, i + 16);
            x2 = FloatVector.fromArray(F16L, fc, i + 32);
            x3 = FloatVector.fromArray(F16L, fc, i + 48);
            xd = FloatVector.fromArray(F16L, dc, p);
            c0 = w03.fma(x3, w02.fma(x2, w01.fma(x1, w00.mul(x0)))).fma(dw0.mul(xd), c0);
            c1 = w13.fma(x3, w12.fma(x2, w11.fma(x1, w10.mul(x0)))).fma(dw1.mul(xd), c1);
            x0 = FloatVector.fromArray(F16L, fe, i);
            x1 = FloatVector.fromArray(F16L, fe, i + 16);
            x2 = FloatVector.fromArray(F16L, fe, i + 32);
            x3 = FloatVector.fromArray(F16L, fe, i + 48);
            xd = FloatVector.fromArray(F16L, de, p);
            e0 = w03.fma(x3, w02.fma(x2, w01.fma(x1, w00.mul(x0)))).fma(dw0.mul(xd), e0);
            e1 = w13.fma(x3, w12.fma(x2, w11.fma(x1, w10.mul(x0)))).fma(dw1.mul(xd), e1);
        }
        // the GEMV's end per output, two outputs per vector (see SWAP), spelled out: helpers taking vectors box them
        FloatVector s = a0.blend(a1, ODD).add(a1.blend(a0, ODD).rearrange(SWAP));
        s = s.add(s.rearrange(FOUR));
        s = s.add(s.rearrange(TWO));
        out[outOff] = s.lane(0) + s.lane(1);
        out[outOff + 1] = s.lane(8) + s.lane(9);
        s = b0.blend(b1, ODD).add(b1.blend(b0, ODD).rearrange(SWAP));
        s = s.add(s.rearrange(FOUR));
        s = s.add(s.rearrange(TWO));
        out[outOff + outStride] = s.lane(0) + s.lane(1);
        out[outOff + 1 + outStride] = s.lane(8) + s.lane(9);
        s = c0.blend(c1, ODD).add(c1.blend(c0, ODD).rearrange(SWAP));
        s = s.add(s.rearrange(FOUR));
        s = s.add(s.rearrange(TWO));
        out[outOff + 2 * outStride] = s.lane(0) + s.lane(1);
        out[outOff + 1 + 2 * outStride] = s.lane(8) + s.lane(9);
        s = e0.blend(e1, ODD).add(e1.blend(e0, ODD).rearrange(SWAP));
        s = s.add(s.rearrange(FOUR));
        s = s.add(s.rearrange(TWO));
        out[outOff + 3 * outStride] = s.lane(0) + s.lane(1);
        out[outOff + 1 + 3 * outStride] = s.lane(8) + s.lane(9);
    }

    /** One weight row against activation rows r0, r0+1 with 16 lanes (the layout of {@link #dotRows4Wide2}). */
    static void dotRows2Wide(byte[] q, short[] d, int base, int k, float[][] xf, float[][] d8, int r0,
                             float[] out, int outOff, int outStride) {
        float[] fa = xf[r0], fb = xf[r0 + 1];
        float[] da = d8[r0], db = d8[r0 + 1];
        FloatVector a = FloatVector.zero(F16L), b = a;
        int sb = base / 32;
        for (int i = 0; i < k; i += 64) {
            ShortVector pairs = ByteVector.fromArray(B64, q, base + i).reinterpretAsInts().rearrange(HALVES)
                    .reinterpretAsShorts();
            IntVector v0 = (IntVector) pairs.convertShape(VectorOperators.S2I, I16L, 0);
            IntVector v1 = (IntVector) pairs.convertShape(VectorOperators.S2I, I16L, 1);
            FloatVector w0 = (FloatVector) v0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector w1 = (FloatVector) v0.lanewise(VectorOperators.ASHR, 8).convert(VectorOperators.I2F, 0);
            FloatVector w2 = (FloatVector) v1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector w3 = (FloatVector) v1.lanewise(VectorOperators.ASHR, 8).convert(VectorOperators.I2F, 0);
            int blk = sb + i / 32, p = i / 4;
            FloatVector dw = FloatVector.broadcast(F16L, Float.float16ToFloat(d[blk]))
                    .blend(Float.float16ToFloat(d[blk + 1]), ODD);
            a = w3.fma(FloatVector.fromArray(F16L, fa, i + 48), w2.fma(FloatVector.fromArray(F16L, fa, i + 32),
                    w1.fma(FloatVector.fromArray(F16L, fa, i + 16), w0.mul(FloatVector.fromArray(F16L, fa, i)))))
                    .fma(dw.mul(FloatVector.fromArray(F16L, da, p)), a);
            b = w3.fma(FloatVector.fromArray(F16L, fb, i + 48), w2.fma(FloatVector.fromArray(F16L, fb, i + 32),
                    w1.fma(FloatVector.fromArray(F16L, fb, i + 16), w0.mul(FloatVector.fromArray(F16L, fb, i)))))
                    .fma(dw.mul(FloatVector.fromArray(F16L, db, p)), b);
        }
        FloatVector s = a.blend(b, ODD).add(b.blend(a, ODD).rearrange(SWAP));
        s = s.add(s.rearrange(FOUR));
        s = s.add(s.rearrange(TWO));
        out[outOff] = s.lane(0) + s.lane(1); // the GEMV's end per output, as in dotRows4Wide2
        out[outOff + outStride] = s.lane(8) + s.lane(9);
    }

}
