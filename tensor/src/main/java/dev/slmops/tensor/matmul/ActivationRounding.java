package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * How ggml's CPU backend rounds the activations x before it multiplies them with weights of a given type: it
 * converts each activation row to the weight type's {@code vec_dot_type} (ggml-cpu.c, {@code type_traits_cpu}),
 * in the GEMV, in its GEMMs (llamafile's sgemm, the repacked Q4_0/Q4_K kernels) alike, and multiplies that. To get
 * llama.cpp's numbers (perplexity, KL divergence of a quantized file from its base) we multiply the same rounded x.
 *
 * <pre>
 *   weights                 vec_dot_type  x' per row
 *   F32                     F32           x                                                        ({@link #NONE})
 *   F16                     F16           fp16(x)                                                  ({@link #F16})
 *   BF16                    BF16          bf16(x)                                                  ({@link #BF16})
 *   Q8_0, Q4_0, Q5_0        q8_0          per 32: d = fp16(amax / 127), q = rint(x * 127 / amax),  ({@link #Q8_0})
 *                                         x' = q * d
 *   Q4_1, Q5_1              q8_1          as q8_0, plus s = fp16(d * sum q) (the kernels' offset term) ({@link #Q8_1})
 *   Q2_K .. Q6_K            q8_K          per 256: max = the first x of largest |x|, iscale = -127 / max,   ({@link #Q8_K})
 *                                         q = min(127, rint(iscale * x)), d = 1 / iscale (float), x' = q * d
 * </pre>
 *
 * The q8_0/q8_1 rules are ggml's x86 ones ({@code quantize_row_q8_0} in arch/x86/quants.c, which AVX, AVX2 and
 * AVX-512 builds all run; its reference {@code quantize_row_q8_0_ref} differs: id = 1/d and ties away from zero);
 * q8_K is {@code quantize_row_q8_K_ref}, which x86 calls. rint is round-half-even, as {@code _mm256_round_ps} and
 * ggml's {@code nearest_int}. The q8_0/q8_1 values q * d are exact floats (8-bit q times an 11-bit d); q8_K's
 * are rounded once more to float.
 *
 * <p>The float GEMM (prefill) and the float GEMVs multiply x' (rounded into a buffer by {@link #round}); the int8
 * GEMVs ({@link Int8Activations}) compute the same q and d directly. {@code -Dslmops.exactActivations=true}
 * ({@link #EXACT}) keeps x in F32 everywhere instead (and turns the int8 GEMVs off).
 */
public enum ActivationRounding {
    /** x unchanged (F32 weights, or {@link #EXACT}). */
    NONE(1),
    /** x rounded to binary16, nearest-even. */
    F16(1),
    /** x rounded to bfloat16, nearest-even. */
    BF16(1),
    /** ggml's q8_0: per 32, F16 scale amax / 127. */
    Q8_0(32),
    /** ggml's q8_1: the values of q8_0; its F16 block sum s only the int8 kernels use ({@link Int8Activations}). */
    Q8_1(32),
    /** ggml's q8_K: per 256, float scale from the signed max. */
    Q8_K(256);

    /** {@code -Dslmops.exactActivations=true}: multiply F32 activations (no rounding) on every weight type. */
    public static final boolean EXACT = Boolean.getBoolean("slmops.exactActivations");

    /** Elements per rounding block (1 for the element-wise float roundings). */
    public final int blockSize;

    ActivationRounding(int blockSize) {
        this.blockSize = blockSize;
    }

    /** ggml's rounding of x for weights of {@code type} (its vec_dot_type), whatever {@link #EXACT} says. */
    public static ActivationRounding ggml(DType type) {
        return switch (type) {
            case F16 -> F16;
            case BF16 -> BF16;
            case Q8_0, Q4_0, Q5_0 -> Q8_0;
            case Q4_1, Q5_1 -> Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> Q8_K;
            default -> NONE; // F32 and types with no ggml matmul here
        };
    }

    /** What this build does for weights of {@code type}: {@link #ggml}, or {@link #NONE} under {@link #EXACT}. */
    public static ActivationRounding forWeights(DType type) {
        return EXACT ? NONE : ggml(type);
    }

    /**
     * dst[dstOff + r*k + i] = x'[r][i] for the {@code rows} rows x[xOff + r*k .. + k) (k a multiple of
     * {@link #blockSize}). dst may be x itself (in place).
     */
    public void round(float[] x, int xOff, int rows, int k, float[] dst, int dstOff) {
        checkWidth(k);
        boolean vector = VectorPath.ENABLED;
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * k, o = dstOff + r * k;
            switch (this) {
                case NONE -> {
                    if (x != dst || xo != o) System.arraycopy(x, xo, dst, o, k);
                }
                case F16 -> {
                    for (int i = 0; i < k; i++) dst[o + i] = Float.float16ToFloat(Float.floatToFloat16(x[xo + i]));
                }
                case BF16 -> {
                    for (int i = 0; i < k; i++) dst[o + i] = FloatConversions.bf16ToF32(FloatConversions.f32ToBf16(x[xo + i]));
                }
                case Q8_0, Q8_1 -> {
                    for (int b = 0; b < k; b += 32) {
                        if (vector && 32 % VectorPath.L == 0) q8_0BlockVector(x, xo + b, dst, o + b);
                        else q8_0Block(x, xo + b, dst, o + b, null, 0);
                    }
                }
                case Q8_K -> {
                    for (int b = 0; b < k; b += 256) {
                        if (vector) q8_KBlockVector(x, xo + b, dst, o + b);
                        else q8_KBlock(x, xo + b, dst, o + b, null, 0);
                    }
                }
            }
        }
    }

    /** The naive definition of {@link #round}: one element at a time, in the table's words. */
    public void roundReference(float[] x, int xOff, int rows, int k, float[] dst, int dstOff) {
        checkWidth(k);
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * k, o = dstOff + r * k;
            switch (this) {
                case NONE -> System.arraycopy(x, xo, dst, o, k);
                case F16 -> { for (int i = 0; i < k; i++) dst[o + i] = Float.float16ToFloat(Float.floatToFloat16(x[xo + i])); }
                case BF16 -> { for (int i = 0; i < k; i++) dst[o + i] = FloatConversions.bf16ToF32(FloatConversions.f32ToBf16(x[xo + i])); }
                case Q8_0, Q8_1 -> { for (int b = 0; b < k; b += 32) q8_0Block(x, xo + b, dst, o + b, null, 0); }
                case Q8_K -> { for (int b = 0; b < k; b += 256) q8_KBlock(x, xo + b, dst, o + b, null, 0); }
            }
        }
    }

    private void checkWidth(int k) {
        if (k % blockSize != 0) {
            throw new IllegalArgumentException("rounding activations to " + this + " needs rows of whole " + blockSize
                    + "-element blocks, but a row has " + k);
        }
    }

    /**
     * One q8_0 block x[xo .. xo+32): writes x' = q * d to dst[o..] (if dst is not null) and q to qs[qo..] (if qs is
     * not null); returns d (the F16-rounded scale, as a float). Scalar: the definition.
     */
    static float q8_0Block(float[] x, int xo, float[] dst, int o, short[] qs, int qo) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
        float d = FloatConversions.f16ToF32(FloatConversions.f32ToF16(amax / 127f));
        float id = amax != 0f ? 127f / amax : 0f;
        for (int j = 0; j < 32; j++) {
            float q = clampInt8(rint(x[xo + j] * id));
            if (dst != null) dst[o + j] = q * d;
            if (qs != null) qs[qo + j] = (short) q;
        }
        return d;
    }

    /** {@link #q8_0Block}'s x' with vectors (32 / L of them per block). */
    private static void q8_0BlockVector(float[] x, int xo, float[] dst, int o) {
        var f = VectorPath.F;
        int l = VectorPath.L;
        FloatVector amaxV = FloatVector.zero(f);
        for (int j = 0; j < 32; j += l) amaxV = amaxV.max(FloatVector.fromArray(f, x, xo + j).abs());
        float amax = amaxV.reduceLanes(VectorOperators.MAX);
        float d = FloatConversions.f16ToF32(FloatConversions.f32ToF16(amax / 127f));
        float id = amax != 0f ? 127f / amax : 0f;
        for (int j = 0; j < 32; j += l) {
            FloatVector q = FloatVector.fromArray(f, x, xo + j).mul(id).add(RINT).sub(RINT).max(-128f).min(127f);
            q.mul(d).intoArray(dst, o + j);
        }
    }

    /**
     * One q8_K block x[xo .. xo+256): writes x' = q * d to dst[o..] (if not null) and q to qs[qo..] (if not null);
     * returns d (a float, negative when the largest |x| is positive).
     */
    static float q8_KBlock(float[] x, int xo, float[] dst, int o, short[] qs, int qo) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < 256; j++) {
            float ax = Math.abs(x[xo + j]);
            if (ax > amax) { // the first of the largest |x| wins
                amax = ax;
                max = x[xo + j];
            }
        }
        if (amax == 0f) {
            for (int j = 0; j < 256; j++) {
                if (dst != null) dst[o + j] = 0f;
                if (qs != null) qs[qo + j] = 0;
            }
            return 0f;
        }
        float iscale = -127f / max, d = 1f / iscale;
        for (int j = 0; j < 256; j++) {
            float q = Math.min(127f, rint(iscale * x[xo + j]));
            if (dst != null) dst[o + j] = q * d;
            if (qs != null) qs[qo + j] = (short) q;
        }
        return d;
    }

    /** {@link #q8_KBlock}'s x' with vectors. */
    private static void q8_KBlockVector(float[] x, int xo, float[] dst, int o) {
        var f = VectorPath.F;
        int l = VectorPath.L;
        FloatVector amaxV = FloatVector.zero(f);
        for (int j = 0; j < 256; j += l) amaxV = amaxV.max(FloatVector.fromArray(f, x, xo + j).abs());
        float amax = amaxV.reduceLanes(VectorOperators.MAX);
        if (amax == 0f) {
            java.util.Arrays.fill(dst, o, o + 256, 0f);
            return;
        }
        float max = amax;
        for (int j = 0; j < 256; j += l) { // the first element of largest |x| gives the sign
            FloatVector v = FloatVector.fromArray(f, x, xo + j);
            VectorMask<Float> hit = v.abs().compare(VectorOperators.EQ, amax);
            if (hit.anyTrue()) {
                max = v.lane(hit.firstTrue());
                break;
            }
        }
        float iscale = -127f / max, d = 1f / iscale;
        for (int j = 0; j < 256; j += l) {
            FloatVector q = FloatVector.fromArray(f, x, xo + j).mul(iscale).add(RINT).sub(RINT).min(127f);
            q.mul(d).intoArray(dst, o + j);
        }
    }

    /** 1.5 * 2^23: v + RINT - RINT rounds v to an integer, ties to even, for |v| <= 2^22 (ggml's nearest_int). */
    private static final float RINT = 12582912f;

    /** Round half to even, as the FPU's default mode; |v| here stays far below 2^22. */
    static float rint(float v) {
        return (float) Math.rint(v);
    }

    /** _mm256_packs_epi32/epi16's saturation to a signed byte. */
    private static float clampInt8(float v) {
        return Math.max(-128f, Math.min(127f, v));
    }
}
