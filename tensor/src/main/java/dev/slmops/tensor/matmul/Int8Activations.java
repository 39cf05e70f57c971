package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
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
     * d, stored here once per 32-block (each of the 8 repeats it). k is a multiple of that block.
     */
    static Int8Activations quantize(float[] x, int xOff, int k, DType weights) {
        ActivationRounding rounding = ActivationRounding.ggml(weights);
        if (rounding != ActivationRounding.Q8_0 && rounding != ActivationRounding.Q8_1 && rounding != ActivationRounding.Q8_K) {
            throw new IllegalArgumentException(weights + " weights have no int8 activation rounding (ggml's is " + rounding + ")");
        }
        if (k % rounding.blockSize != 0) {
            throw new IllegalArgumentException("int8 activations for " + weights + " need whole " + rounding.blockSize
                    + "-blocks, got k=" + k);
        }
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
            // q8_1's s is fp16(d * sum q) with d before its own F16 rounding; q8_0 has no s: the kernels' offset
            // term (Q4_0's -8 * scale) then multiplies the exact d * sum q, as ggml's integer (q4 - 8) . q8 does
            sum[b] = rounding == ActivationRounding.Q8_1
                    ? Float.float16ToFloat(Float.floatToFloat16(q8Scale(x, xOff + 32 * b) * qsum))
                    : d[b] * qsum;
        }
        return new Int8Activations(q, d, sum);
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
