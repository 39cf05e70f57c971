package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * An activation row x[K] rounded to 8-bit integers exactly as ggml rounds it for its integer dot products with
 * the weight type at hand ({@link ActivationRounding}: q8_0/q8_1 per 32-element block, d = fp16(max |x| / 127);
 * q8_K per 256, d = -max / 127 from the signed max), so x[k] ~ q[k] * d[b]. The decode GEMVs multiply these q and d;
 * the float paths multiply the same values q * d ({@link ActivationRounding#round}). The quants are stored widened
 * to 16 bits, the width the kernels multiply in. {@code sum[b]} is the sum of the ROUNDED block, d[b] * sum_j q[j]
 * (the offsets and mins of the 4/5-bit families multiply it), as ggml's q8_1 "s" and q8_K "bsums" are: then offset * sum and scale * (q_w . q_x) carry the same rounding, which cancels in
 * scale * ((q_w - 8) . q_x); with the exact float sum the error weights were the uncentred 0..15 nibbles, about twice
 * ggml's error (measured: our logits on llama.cpp's Q4_0/Q4_K_M files were 3.5-6.7e-2 away from llama.cpp's).
 *
 * <p>Why: on AVX2 the Vector API has no 8-bit multiply-add (no vpmaddubsw), but 16-bit multiplies of the weights'
 * small integers by these quants, summed pairwise in 32-bit lanes, retire fewer instructions per weight than widening
 * every weight to a float (measured, one thread, 4864 x 896: Q8_0 0.15 -> 0.125 ns per weight, Q4_0 0.15 -> 0.11).
 * The kernels use 256-bit vectors on AVX-512 machines too (AVX-512VL runs them at full speed): measured on a Zen 5
 * (AVX-512), qwen2.5-0.5b Q4_0 decode at 2 threads went from 43.6 (float path) to 51-68 tokens/s, Q8_0 and Q4_K_M
 * unchanged within the noise.
 *
 * <pre>
 *   q   [K]      int8 values in shorts
 *   d   [K/32]   block scales
 *   sum [K/32]   d[b] * sum of q over each block
 * </pre>
 */
record Int8Activations(short[] q, float[] d, float[] sum) {
    static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    /**
     * Whether the decode GEMVs of Q8_0, Q6_K and the 4- and 5-bit families use these (256-bit vectors, on AVX2 and AVX-512; {@code
     * -Dslmops.int8=false} keeps the float path everywhere, which then multiplies the same rounded values, and
     * {@code -Dslmops.exactActivations=true} turns this off with the rounding). Against llama.cpp on its own Q8_0
     * file the worst logit difference is 1.7e-7 (QuantizerLlamaCppTest; 2e-2 before d was F16 and K-quants took
     * q8_K): both sides then compute the same integers. Any float difference upstream can still flip one rint
     * and move a logit by ~1e-2 on the 4/6-bit files; the means (KLD, perplexity) agree within 0.3%.
     */
    static final boolean ENABLED = VectorPath.ENABLED && !ActivationRounding.EXACT
            && !"false".equalsIgnoreCase(System.getProperty("slmops.int8"));

    /**
     * Rounds x[xOff .. xOff + k) as ggml does for weights of type {@code weights} ({@link ActivationRounding#ggml}):
     * q8_0 and q8_1 per 32 with an F16-rounded d (q8_1's sum rounded to F16 as its s), q8_K per 256 with one float
     * d, stored here once per 32-block (each of the 8 repeats it). k is a multiple of that block. With vectors on
     * (a decode step rounds one row before each GEMV, on the calling thread while the others wait: ~4 ns per element
     * scalar, a third of a smollm2-135m step's serial time); {@link #quantizeReference} is the scalar definition and
     * gives the same bits.
     */
    static Int8Activations quantize(float[] x, int xOff, int k, DType weights) {
        ActivationRounding rounding = checkedRounding(k, weights);
        if (!VectorPath.ENABLED || 32 % VectorPath.L != 0) return quantizeReference(x, xOff, k, weights);
        short[] q = new short[k];
        float[] d = new float[k / 32], sum = new float[k / 32];
        if (rounding == ActivationRounding.Q8_K) {
            for (int b = 0; b < k / 256; b++) q8_KBlockVector(x, xOff + 256 * b, q, d, sum, 256 * b);
        } else {
            boolean q81 = rounding == ActivationRounding.Q8_1;
            for (int b = 0; b < k / 32; b++) q8_0BlockVector(x, xOff + 32 * b, q, d, sum, b, q81);
        }
        return new Int8Activations(q, d, sum);
    }

    /**
     * {@link #quantize} for Q4_0/Q5_0/Q8_0 weights (q8_0) into the caller's arrays, allocating nothing: q[0 .. k)
     * and d [0 .. k/32), the block sums left out. The same bits; the vector path only (the GEMMs that call it run
     * with vectors).
     */
    static void quantizeInto(float[] x, int xOff, int k, short[] q, float[] d) {
        if (k % 32 != 0) throw new IllegalArgumentException("q8_0 rounds rows of whole 32-blocks, not " + k);
        for (int b = 0; b < k / 32; b++) q8_0BlockVector(x, xOff + 32 * b, q, d, null, b, false);
    }

    /**
     * q8_0/q8_1 block b of x (at xo) into q, d[b] and sum[b], L floats at a time; the same operations on the same
     * floats as {@link ActivationRounding#q8_0Block} (max |x|, x * (127 / amax) rounded to even and clamped), and
     * the block's quants summed exactly (integers below 2^24 in float lanes) unless {@code sum} is null.
     */
    private static void q8_0BlockVector(float[] x, int xo, short[] q, float[] d, float[] sum, int b, boolean q81) {
        var f = VectorPath.F;
        int l = VectorPath.L;
        FloatVector amaxV = FloatVector.zero(f);
        for (int j = 0; j < 32; j += l) amaxV = FloatVector.fromArray(f, x, xo + j).abs().max(amaxV);
        float amax = amaxV.reduceLanes(VectorOperators.MAX);
        float db = FloatConversions.f16ToF32(FloatConversions.f32ToF16(amax / 127f));
        float id = amax != 0f ? 127f / amax : 0f;
        FloatVector qsumV = FloatVector.zero(f);
        for (int j = 0; j < 32; j += l) {
            FloatVector qv = FloatVector.fromArray(f, x, xo + j).mul(id).add(RINT).sub(RINT).max(-128f).min(127f);
            ((ShortVector) qv.convertShape(VectorOperators.F2S, VectorPath.S, 0)).intoArray(q, 32 * b + j);
            qsumV = qv.add(qsumV);
        }
        d[b] = db;
        if (sum == null) return;
        int qsum = (int) qsumV.reduceLanes(VectorOperators.ADD);
        // q8_1's s is fp16(d * sum q) with d before its own F16 rounding (amax / 127, as q8Scale); q8_0 has no s: the
        // kernels' offset term (Q4_0's -8 * scale) then multiplies the exact d * sum q, as ggml's (q4 - 8) . q8 does
        sum[b] = q81 ? Float.float16ToFloat(Float.floatToFloat16(amax / 127f * qsum)) : db * qsum;
    }

    /**
     * q8_K block x[xo .. xo+256) into q[qo..], and its d and d * (sum of q) into each of its eight 32-blocks' d and
     * sum: {@link ActivationRounding#q8_KBlock}'s operations (the first of the largest |x| gives the sign) with
     * vectors.
     */
    private static void q8_KBlockVector(float[] x, int xo, short[] q, float[] d, float[] sum, int qo) {
        var f = VectorPath.F;
        int l = VectorPath.L;
        FloatVector amaxV = FloatVector.zero(f);
        for (int j = 0; j < 256; j += l) amaxV = FloatVector.fromArray(f, x, xo + j).abs().max(amaxV);
        float amax = amaxV.reduceLanes(VectorOperators.MAX);
        int s0 = qo / 32;
        if (!(amax > 0f)) { // all zero; or a NaN, which the reference's scan for the largest |x| skips: run it
            float db = ActivationRounding.q8_KBlock(x, xo, null, 0, q, qo);
            for (int s = s0; s < s0 + 8; s++) {
                d[s] = db;
                sum[s] = db * blockSum(q, 32 * s);
            }
            return;
        }
        float max = 0f;
        for (int j = 0; j < 256; j += l) {
            VectorMask<Float> at = FloatVector.fromArray(f, x, xo + j).abs().compare(VectorOperators.EQ, amax);
            if (at.anyTrue()) {
                max = x[xo + j + at.firstTrue()];
                break;
            }
        }
        float iscale = -127f / max, db = 1f / iscale;
        for (int s = 0; s < 8; s++) {
            FloatVector qsumV = FloatVector.zero(f);
            for (int j = 32 * s; j < 32 * s + 32; j += l) {
                FloatVector qv = FloatVector.fromArray(f, x, xo + j).mul(iscale).add(RINT).sub(RINT).min(127f);
                ((ShortVector) qv.convertShape(VectorOperators.F2S, VectorPath.S, 0)).intoArray(q, qo + j);
                qsumV = qv.add(qsumV);
            }
            d[s0 + s] = db;
            sum[s0 + s] = db * (int) qsumV.reduceLanes(VectorOperators.ADD); // ggml's bsums (per 16) times d
        }
    }

    /** 1.5 * 2^23: v + RINT - RINT rounds v to an integer, ties to even, for |v| <= 2^22 (as Math.rint). */
    private static final float RINT = 12582912f;

    /** {@link #quantize} one element at a time: the definition, in {@link ActivationRounding}'s words. */
    static Int8Activations quantizeReference(float[] x, int xOff, int k, DType weights) {
        ActivationRounding rounding = checkedRounding(k, weights);
        short[] q = new short[k];
        float[] d = new float[k / 32], sum = new float[k / 32];
        if (rounding == ActivationRounding.Q8_K) {
            for (int b = 0; b < k / 256; b++) {
                float db = ActivationRounding.q8_KBlock(x, xOff + 256 * b, null, 0, q, 256 * b);
                for (int s = 8 * b; s < 8 * b + 8; s++) {
                    d[s] = db;
                    sum[s] = db * blockSum(q, 32 * s); // ggml's bsums (per 16) times d, summed in pairs
                }
            }
            return new Int8Activations(q, d, sum);
        }
        for (int b = 0; b < k / 32; b++) {
            d[b] = ActivationRounding.q8_0Block(x, xOff + 32 * b, null, 0, q, 32 * b);
            int qsum = blockSum(q, 32 * b);
            sum[b] = rounding == ActivationRounding.Q8_1
                    ? Float.float16ToFloat(Float.floatToFloat16(q8Scale(x, xOff + 32 * b) * qsum))
                    : d[b] * qsum;
        }
        return new Int8Activations(q, d, sum);
    }

    /** ggml's int8 rounding for {@code weights}, checked to apply to rows of k. */
    private static ActivationRounding checkedRounding(int k, DType weights) {
        ActivationRounding rounding = ActivationRounding.ggml(weights);
        if (rounding != ActivationRounding.Q8_0 && rounding != ActivationRounding.Q8_1 && rounding != ActivationRounding.Q8_K) {
            throw new IllegalArgumentException(weights + " weights have no int8 activation rounding (ggml's is " + rounding + ")");
        }
        if (k % rounding.blockSize != 0) {
            throw new IllegalArgumentException("int8 activations for " + weights + " need whole " + rounding.blockSize
                    + "-blocks, got k=" + k);
        }
        return rounding;
    }

    private static int blockSum(short[] q, int at) {
        int s = 0;
        for (int j = 0; j < 32; j++) s += q[at + j];
        return s;
    }

    /** ggml's q8_0/q8_1 scale before F16 rounding: max |x| / 127 over the block at x[at .. at+32). */
    private static float q8Scale(float[] x, int at) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[at + j]));
        return amax / 127f;
    }

    /**
     * 8 int lanes, lane i = p[2i] + p[2i+1] for 16 shorts p: the pair read as one int is lo + 2^16 * hi. Exact
     * while each short is itself exact (the caller bounds its products).
     */
    static IntVector pairSums(ShortVector p) {
        IntVector pi = p.reinterpretAsInts();
        return pi.lanewise(VectorOperators.ASHR, 16).add(pi.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
    }

    /**
     * The same for pair sums known to fit 16 bits (|p[2i] + p[2i+1]| < 2^15): (pi + (pi << 16)) has lo + hi in
     * its top half (the bottom half, lo mod 2^16, carries nothing up), one shift fewer.
     */
    static IntVector smallPairSums(ShortVector p) {
        IntVector pi = p.reinterpretAsInts();
        return pi.add(pi.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
    }
}
