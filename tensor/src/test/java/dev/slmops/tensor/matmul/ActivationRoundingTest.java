package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.testkit.llama.GgmlCpuActivations;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Our rounding of activations ({@link ActivationRounding}, {@link Int8Activations}) against the quantizers of the
 * ggml CPU backend llama.cpp runs on this machine ({@code quantize_row_q8_0/q8_1/q8_K} of libggml-cpu-*.so): every
 * quant, scale and block sum bit for bit, on rows with awkward blocks (all zero, ties at .5, both signs of the
 * largest |x|, a single spike). Then {@link PackedWeights#matmul} multiplies that rounded x on every path (decode
 * GEMV, a few rows, the GEMM), so decode and prefill round alike.
 */
class ActivationRoundingTest {
    private static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    /** Rows of 1024 with blocks ggml's rounding rules tell apart. */
    static float[][] awkwardRows() {
        SplittableRandom r = new SplittableRandom(42);
        float[][] rows = new float[6][1024];
        for (float[] x : rows) for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.exp(r.nextGaussian()));
        java.util.Arrays.fill(rows[0], 0, 256, 0f);            // an all-zero q8_0 and q8_K block
        for (int i = 0; i < 256; i++) rows[1][i] = (i % 32) - 15.5f; // x * 127 / amax has exact .5 ties (both signs) ...
        rows[1][0] = 127f;                                     // ... as q8_0's amax is 127 (id = 1)
        rows[1][256] = -127f;                                  // ... and q8_K's max is -127 (iscale = 1)
        for (int i = 257; i < 512; i++) rows[1][i] = (i % 32) - 15.5f;
        for (int i = 0; i < 256; i++) rows[2][i] *= 1e-3f;     // a spike among small values
        rows[2][17] = 50f;
        rows[3][300] = -1e4f;                                  // a large negative max
        for (int i = 0; i < 1024; i++) rows[4][i] = (float) r.nextGaussian() * 1e-6f; // tiny: F16 d underflows to subnormal
        for (int i = 0; i < 1024; i++) rows[5][i] = (i % 7) - 3; // largest |x| of both signs: the first (-3) wins
        return rows;
    }

    @Test
    void q8_0AndQ8_1EqualGgmlCpuBackendBitForBit() {
        System.out.println("ggml CPU backend: " + GgmlCpuActivations.variant());
        for (float[] x : awkwardRows()) {
            GgmlCpuActivations.Q8Row g0 = GgmlCpuActivations.q8_0(x), g1 = GgmlCpuActivations.q8_1(x);
            Int8Activations a0 = Int8Activations.quantize(x, 0, x.length, DType.Q4_0);
            Int8Activations a1 = Int8Activations.quantize(x, 0, x.length, DType.Q4_1);
            for (int i = 0; i < x.length; i++) {
                if (a0.q()[i] != g0.q()[i] || a1.q()[i] != g1.q()[i]) fail("q[" + i + "] of x=" + x[i] + ": ours " + a0.q()[i] + ", ggml " + g0.q()[i]);
            }
            for (int b = 0; b < x.length / 32; b++) {
                assertThat(a0.d()[b]).as("q8_0 d of block %d", b).isEqualTo(g0.d()[b]);
                assertThat(a1.d()[b]).as("q8_1 d of block %d", b).isEqualTo(g1.d()[b]);
                assertThat(a1.sum()[b]).as("q8_1 s of block %d", b).isEqualTo(g1.sum()[b]);
            }
            checkValues(ActivationRounding.Q8_0, x, g0, 32);
        }
    }

    @Test
    void q8_KEqualsGgmlCpuBackendBitForBit() {
        for (float[] x : awkwardRows()) {
            GgmlCpuActivations.Q8Row g = GgmlCpuActivations.q8_K(x);
            Int8Activations a = Int8Activations.quantize(x, 0, x.length, DType.Q4_K);
            for (int i = 0; i < x.length; i++) {
                if (a.q()[i] != g.q()[i]) fail("q8_K q[" + i + "] of x=" + x[i] + ": ours " + a.q()[i] + ", ggml " + g.q()[i]);
            }
            for (int s = 0; s < x.length / 32; s++) {
                float d = g.d()[s / 8];
                assertThat(a.d()[s]).as("q8_K d of 32-block %d", s).isEqualTo(d);
                assertThat(a.sum()[s]).as("d * bsums of 32-block %d", s).isEqualTo(d * (g.sum()[2 * s] + g.sum()[2 * s + 1]));
            }
            checkValues(ActivationRounding.Q8_K, x, g, 256);
        }
    }

    /** The vector quantize gives the scalar definition's quants, scales and sums bit for bit, NaN and infinities included. */
    @Test
    void int8QuantizeEqualsItsReference() {
        float[][] rows = java.util.Arrays.copyOf(awkwardRows(), 9);
        rows[6] = awkwardRows()[3].clone();
        rows[6][5] = Float.NaN;                                // a NaN in a block of finite values
        rows[6][600] = Float.NaN;
        rows[7] = awkwardRows()[0].clone();
        rows[7][300] = Float.POSITIVE_INFINITY;                // an infinity: its block's quants are NaN * 0
        rows[7][700] = Float.NEGATIVE_INFINITY;
        rows[8] = new float[1024];
        for (int i = 0; i < 1024; i++) rows[8][i] = -(i % 32) * 0.25f; // the largest |x| negative, first in each block
        for (DType t : new DType[]{DType.Q4_0, DType.Q4_1, DType.Q4_K}) {
            for (float[] row : rows) {
                float[] x = new float[row.length + 5];
                System.arraycopy(row, 0, x, 5, row.length);
                Int8Activations fast = Int8Activations.quantize(x, 5, row.length, t);
                Int8Activations ref = Int8Activations.quantizeReference(x, 5, row.length, t);
                assertThat(fast.q()).as("%s quants", t).isEqualTo(ref.q());
                for (int b = 0; b < row.length / 32; b++) {
                    assertThat(Float.floatToIntBits(fast.d()[b])).as("%s d of block %d", t, b).isEqualTo(Float.floatToIntBits(ref.d()[b]));
                    assertThat(Float.floatToIntBits(fast.sum()[b])).as("%s sum of block %d", t, b).isEqualTo(Float.floatToIntBits(ref.sum()[b]));
                }
            }
        }
    }

    /** round() (vector path) and roundReference() both give q * d of ggml's q and d, in place too. */
    private static void checkValues(ActivationRounding r, float[] x, GgmlCpuActivations.Q8Row g, int block) {
        float[] fast = new float[x.length + 3], ref = new float[x.length], inPlace = x.clone();
        r.round(x, 0, 1, x.length, fast, 3);
        r.roundReference(x, 0, 1, x.length, ref, 0);
        r.round(inPlace, 0, 1, x.length, inPlace, 0);
        for (int i = 0; i < x.length; i++) {
            float want = g.q()[i] * g.d()[i / block];
            // == (not bit equality): a value rounded to zero may come out as -0 on one path and +0 on the other
            if (!(fast[3 + i] == want && ref[i] == want && inPlace[i] == want)) {
                fail(r + " x'[" + i + "] of x=" + x[i] + ": round " + fast[3 + i] + ", reference " + ref[i]
                        + ", in place " + inPlace[i] + ", ggml q*d " + want);
            }
        }
    }

    @Test
    void roundingIsIdempotentSoTheInt8GemvsMayRoundRoundedInput() {
        for (DType t : new DType[]{DType.Q8_0, DType.Q4_1, DType.Q6_K}) {
            ActivationRounding r = ActivationRounding.ggml(t);
            for (float[] x : awkwardRows()) {
                float[] once = new float[x.length], twice = new float[x.length];
                r.round(x, 0, 1, x.length, once, 0);
                r.round(once, 0, 1, x.length, twice, 0);
                Int8Activations a = Int8Activations.quantize(x, 0, x.length, t), b = Int8Activations.quantize(once, 0, x.length, t);
                for (int i = 0; i < x.length; i++) {
                    // the same q * d (q itself may differ where d underflowed F16 to 0: then both products are 0)
                    float pa = a.q()[i] * a.d()[i / 32], pb = b.q()[i] * b.d()[i / 32];
                    if (Math.abs(pa - pb) > Math.abs(pa) * 1e-6) fail(t + " int8 x'[" + i + "]: from x " + pa + ", from x' " + pb);
                }
                for (int i = 0; i < x.length; i++) {
                    assertThat((double) twice[i]).as("%s x'' [%d]", t, i).isCloseTo(once[i], org.assertj.core.data.Offset.offset(Math.abs(once[i]) * 1e-6));
                }
            }
        }
    }

    @Test
    void floatRoundingsAreTheStorageConversions() {
        float[] x = {1f / 3, -65519f, 65520f, 1e-8f, 3.0000002f, -0f};
        float[] h = new float[x.length], b = new float[x.length];
        ActivationRounding.F16.round(x, 0, 1, x.length, h, 0);
        ActivationRounding.BF16.round(x, 0, 1, x.length, b, 0);
        for (int i = 0; i < x.length; i++) {
            assertThat(h[i]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(x[i])));
            assertThat(b[i]).isEqualTo(Float.intBitsToFloat(dev.slmops.tensor.quant.FloatConversions.f32ToBf16(x[i]) << 16));
        }
        assertThat(h[2]).isInfinite(); // 65520 rounds up past F16's largest finite value
        assertThat(ActivationRounding.ggml(DType.F32)).isEqualTo(ActivationRounding.NONE);
        assertThat(ActivationRounding.ggml(DType.Q5_0)).isEqualTo(ActivationRounding.Q8_0);
        assertThat(ActivationRounding.ggml(DType.Q5_1)).isEqualTo(ActivationRounding.Q8_1);
        assertThat(ActivationRounding.ggml(DType.Q3_K)).isEqualTo(ActivationRounding.Q8_K);
    }

    /** matmulAll rounds x once for weights that round alike, each its own way otherwise; every output as the oracle's. */
    @Test
    void matmulAllRoundsForEachWeightType() {
        DType[][] groups = {{DType.Q4_K, DType.Q6_K}, {DType.Q8_0, DType.Q4_1}, {DType.F16, DType.Q8_0, DType.Q4_0}};
        int k = 256;
        long seed = 60;
        for (DType[] types : groups) {
            MemorySegment[] raw = new MemorySegment[types.length];
            PackedWeights[] ws = new PackedWeights[types.length];
            int[] ns = new int[types.length];
            for (int i = 0; i < types.length; i++) {
                ns[i] = 33 + 16 * i;
                raw[i] = RandomWeights.of(types[i], ns[i], k, seed++);
                ws[i] = PackedWeights.pack(types[i], raw[i], 0, ns[i], k, Int8Activations.ENABLED, ActivationRounding.ggml(types[i]));
            }
            for (int m : new int[]{1, 5, 40}) {
                float[] x = RandomWeights.activations(m * k, seed++);
                float[][] ys = new float[types.length][];
                for (int i = 0; i < types.length; i++) ys[i] = new float[m * ns[i]];
                PackedWeights.matmulAll(ws, x, 0, ys, m, POOL);
                for (int i = 0; i < types.length; i++) {
                    ActivationRounding r = ActivationRounding.ggml(types[i]);
                    float[] xr = new float[m * k];
                    r.roundReference(x, 0, m, k, xr, 0);
                    MatmulReference.Result ref = MatmulReference.matmul(types[i], raw[i], 0, ns[i], k, xr, m);
                    boolean sumRounded = r == ActivationRounding.Q8_1 && Int8Activations.ENABLED && m < ws[i].gemmMinRows();
                    for (int j = 0; j < m * ns[i]; j++) {
                        double err = Math.abs(ys[i][j] - (double) ref.y()[j]);
                        double tol = (sumRounded ? 1e-3 : 3e-6) * ref.absSum()[j] + 1e-6;
                        if (!(err <= tol)) fail(types[i] + " in matmulAll of " + java.util.Arrays.toString(types) + " m=" + m
                                + ": y[" + j + "] = " + ys[i][j] + ", reference on rounded x " + ref.y()[j]);
                    }
                }
            }
        }
    }

    /**
     * The public matmul, on whatever path m takes (1: GEMV, 5: a few rows, 40: GEMM, or still the few-rows kernel
     * where the layout's GEMM starts later, as 16-row nibble groups' at 64; int8 GEMVs where this machine uses them), equals the naive oracle on x rounded by ggml's rule, within float accumulation error. Q4_1/Q5_1 on
     * the int8 path take ggml's F16-rounded block sum s, one more rounding the float paths do not have (<= 1e-3).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void matmulMultipliesTheRoundedActivationsOnEveryPath(DType type) {
        for (boolean int8 : new boolean[]{false, true}) matmulMultipliesTheRoundedActivations(type, int8);
    }

    private static void matmulMultipliesTheRoundedActivations(DType type, boolean int8) {
        int k = type.blockSize == 256 ? 512 : 96, n = 70;
        MemorySegment w = RandomWeights.of(type, n, k, 5);
        PackedWeights packed = PackedWeights.pack(type, w, 0, n, k, int8, ActivationRounding.ggml(type));
        ActivationRounding r = ActivationRounding.ggml(type);
        boolean sumRounded = r == ActivationRounding.Q8_1 && int8;
        for (int m : new int[]{1, 5, 40}) {
            float[] x = RandomWeights.activations(m * k, 100 + m), xr = new float[m * k];
            r.roundReference(x, 0, m, k, xr, 0);
            float[] keep = x.clone();
            float[] y = new float[m * n];
            packed.matmul(x, 0, y, 0, m, POOL);
            assertThat(x).as("x is not modified").isEqualTo(keep);
            MatmulReference.Result ref = MatmulReference.matmul(type, w, 0, n, k, xr, m);
            MatmulReference.Result exact = MatmulReference.matmul(type, w, 0, n, k, x, m);
            double worstRounded = 0, worstExact = 0;
            for (int i = 0; i < m * n; i++) {
                double err = Math.abs(y[i] - (double) ref.y()[i]);
                double tol = (sumRounded && m < packed.gemmMinRows() ? 1e-3 : 3e-6) * ref.absSum()[i] + 1e-6;
                if (!(err <= tol)) fail(type + " int8=" + int8 + " m=" + m + ": y[" + i + "] = " + y[i] + ", reference on rounded x " + ref.y()[i] + " (error " + err + " > " + tol + ")");
                worstRounded = Math.max(worstRounded, err / ref.absSum()[i]);
                worstExact = Math.max(worstExact, Math.abs(y[i] - (double) exact.y()[i]) / exact.absSum()[i]);
            }
            if (r != ActivationRounding.NONE && m == 40) {
                // the rounding is real: against exact x the product is visibly further off
                assertThat(worstExact).as("%s: relative distance to the product with exact x", type).isGreaterThan(worstRounded);
            }
        }
    }
}
