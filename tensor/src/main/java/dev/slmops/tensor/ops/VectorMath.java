package dev.slmops.tensor.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Horizontal sums, exp and tanh on vectors that give the same bits whichever tier of the JVM runs them.
 *
 * <p>Why: the Vector API's own {@code reduceLanes(ADD)}, {@code lanewise(EXP)} and {@code lanewise(TANH)} are
 * computed one way by the interpreter and C1 (a left-to-right loop; {@code Math.exp} per lane) and another way once
 * C2 compiles them (a shuffle tree; the SVML-derived stubs). Measured: the same inputs give different bits in
 * {@code -Xint} and in compiled code for all three. A computation then depends on when the JIT compiled which method:
 * two identical training runs drifted apart (~4e-6 relative after a few steps), a run resumed in a fresh JVM could
 * not continue bit-for-bit, and a cold server and a warm one could disagree in the last bits of a logit.
 *
 * <p>Everything here is built from lane-wise operations that IEEE 754 defines exactly (add, multiply, fused
 * multiply-add, division, comparisons, conversions, shifts, fixed permutations), which every tier computes the same.
 * The horizontal sums add in a fixed tree (lane i with lane i + L/2, then i + L/4, ...). Scalar twins
 * ({@link #expReference}) sit beside for the tests.
 */
public final class VectorMath {
    private VectorMath() {
    }

    /**
     * The sum of v's lanes, added in a fixed tree: lane i with lane i + L/2, then i + L/4, ... so for 8 lanes
     * ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)). Lanes are read one by one ({@code lane(i)} with a constant
     * i compiles to an extract): a shuffle taken from a table is not a compile-time constant, and C2 then ran the
     * permutation in Java (measured: 30% of a decode profile). Kept small so that C2 always inlines it: a call
     * that is not inlined boxes the vector (an object and its lane array per call: the batched Q8_0 kernel made
     * 2.5 MB of garbage per 4864-row matmul that way, and ran 1.8x slower); wider vectors take {@link #sumWide}.
     */
    public static float sum(FloatVector v) {
        return v.length() == 8 ? sum8(v) : sumWide(v);
    }

    private static float sum8(FloatVector v) {
        return ((v.lane(0) + v.lane(4)) + (v.lane(2) + v.lane(6))) + ((v.lane(1) + v.lane(5)) + (v.lane(3) + v.lane(7)));
    }

    private static float sumWide(FloatVector v) {
        if (v.length() == 16) {
            float a0 = v.lane(0) + v.lane(8), a1 = v.lane(1) + v.lane(9), a2 = v.lane(2) + v.lane(10);
            float a3 = v.lane(3) + v.lane(11), a4 = v.lane(4) + v.lane(12), a5 = v.lane(5) + v.lane(13);
            float a6 = v.lane(6) + v.lane(14), a7 = v.lane(7) + v.lane(15);
            return ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
        }
        return treeSum(v.toArray());
    }

    /**
     * The L halves (F16 bits) at a[off ..] as floats (L = the preferred float species' lanes), each exactly as
     * Float.float16ToFloat gives it: sign, exponent and mantissa moved into a float's fields and the exponent rebased
     * by a multiply by 2^112 (exact for every finite half, subnormals included); infinities and NaNs (exponent 31)
     * take the float's all-ones exponent with the mantissa kept instead. ~8 lane-wise operations per L halves.
     */
    public static FloatVector halfToFloat(short[] a, int off) {
        IntVector v = (IntVector) ShortVector.fromArray(HALVES, a, off).convertShape(VectorOperators.S2I, INTS, 0);
        IntVector fields = v.lanewise(VectorOperators.LSHL, 13).and(0x8FFF_E000);
        VectorMask<Integer> special = v.and(0x7C00).compare(VectorOperators.EQ, 0x7C00);
        return fields.reinterpretAsFloats().mul(0x1p112f)
                .blend(fields.or(0x7F80_0000).reinterpretAsFloats(), special.cast(HALF_FLOATS));
    }

    /** {@link #halfToFloat}'s lanes: the preferred float species' count, as shorts and ints. */
    private static final VectorSpecies<Float> HALF_FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> HALVES =
            VectorSpecies.of(short.class, VectorShape.forBitSize(16 * HALF_FLOATS.length()));
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;

    /** {@link #sum(FloatVector)} for doubles (same tree). */
    public static double sum(DoubleVector v) {
        if (v.length() == 4) return (v.lane(0) + v.lane(2)) + (v.lane(1) + v.lane(3));
        double[] t = v.toArray();
        for (int half = t.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) t[i] += t[i + half];
        }
        return t[0];
    }

    /** The tree of {@link #sum(FloatVector)} over an array whose length is a power of two (the lanes). */
    private static float treeSum(float[] t) {
        for (int half = t.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) t[i] += t[i + half];
        }
        return t[0];
    }

    /** ln 2 split so that n * LN2_HI is exact for |n| < 2^9 (Cody and Waite). */
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.42860682030941723212e-6f;
    private static final float LOG2E = 1.44269504088896341f;
    /** Beyond these, exp overflows to infinity / underflows below the smallest normal float (returned as 0). */
    private static final float EXP_HI = 88.72283905206835f;
    private static final float EXP_LO = -87.33654475055310898f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude < 2^22 to the nearest integer (even on ties). */
    private static final float ROUNDER = 12582912f;

    /**
     * e^x per lane, within 2 ulp of the exact value for normal results; +inf above ~88.72, 0 below ~-87.34 (no
     * subnormal results), NaN for NaN. How: n = round(x / ln 2), r = x - n ln 2 (two fused steps, |r| <= ln2 / 2),
     * e^r by its Taylor series to r^7 (Horner, fused), then times 2^n built in the exponent bits (2^n as 2^(n/2) *
     * 2^(n - n/2) so n = 128 does not overflow early).
     */
    public static FloatVector exp(FloatVector x) {
        VectorSpecies<Float> s = x.species();
        FloatVector t = x.min(EXP_HI).max(EXP_LO);
        FloatVector n = t.mul(LOG2E).add(ROUNDER).sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(s, -LN2_HI), t);
        r = n.fma(FloatVector.broadcast(s, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(s, 1f / 5040f);
        p = p.fma(r, FloatVector.broadcast(s, 1f / 720f));
        p = p.fma(r, FloatVector.broadcast(s, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(s, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(s, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(s, 0.5f));
        p = p.fma(r, FloatVector.broadcast(s, 1f));
        p = p.fma(r, FloatVector.broadcast(s, 1f));
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
        FloatVector scale1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector scale2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = p.mul(scale1).mul(scale2);
        VectorMask<Float> over = x.compare(VectorOperators.GT, EXP_HI);
        VectorMask<Float> under = x.compare(VectorOperators.LT, EXP_LO);
        e = e.blend(Float.POSITIVE_INFINITY, over).blend(0f, under);
        return e.blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** Below this |x|, tanh uses its odd series (1 - 2 / (e^2x + 1) loses relative precision near 0). */
    private static final float TANH_SERIES = 0.25f;

    /**
     * tanh x per lane, within 4 ulp: for |x| < 0.25 the odd Taylor series to x^9, else sign(x) (1 - 2 / (e^(2|x|) +
     * 1)) with {@link #exp}; ±1 for large |x|, NaN for NaN.
     */
    public static FloatVector tanh(FloatVector x) {
        VectorSpecies<Float> s = x.species();
        FloatVector a = x.abs();
        FloatVector big = FloatVector.broadcast(s, 1f).sub(FloatVector.broadcast(s, 2f)
                .div(exp(a.mul(2f)).add(1f)));
        big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
        FloatVector x2 = x.mul(x);
        FloatVector p = FloatVector.broadcast(s, 62f / 2835f);
        p = p.fma(x2, FloatVector.broadcast(s, -17f / 315f));
        p = p.fma(x2, FloatVector.broadcast(s, 2f / 15f));
        p = p.fma(x2, FloatVector.broadcast(s, -1f / 3f));
        FloatVector small = p.mul(x2).fma(x, x);
        FloatVector r = big.blend(small, a.compare(VectorOperators.LT, TANH_SERIES));
        return r.blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** The scalar twin of {@link #exp} (same steps, same bits): the reference the tests hold the vector one to. */
    public static float expReference(float x) {
        if (Float.isNaN(x)) return x;
        if (x > EXP_HI) return Float.POSITIVE_INFINITY;
        if (x < EXP_LO) return 0f;
        float n = x * LOG2E + ROUNDER - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = 1f / 5040f;
        p = Math.fma(p, r, 1f / 720f);
        p = Math.fma(p, r, 1f / 120f);
        p = Math.fma(p, r, 1f / 24f);
        p = Math.fma(p, r, 1f / 6f);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int ni = (int) n, n1 = ni >> 1, n2 = ni - n1;
        return p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }
}
