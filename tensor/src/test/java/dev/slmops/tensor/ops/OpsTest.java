package dev.slmops.tensor.ops;

import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Row ops against their naive double oracles, on awkward sizes, plus properties an independent reader can check. */
class OpsTest {
    private static final WorkerPool POOL = new WorkerPool(2);
    private static final int[] SIZES = {1, 3, 7, 17, 33, 65, 255, 576};

    @AfterAll
    static void close() {
        POOL.close();
    }

    static float[] gaussian(int n, long seed, double scale) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * scale);
        return x;
    }

    static void assertClose(String what, float[] expected, float[] actual, int actualOff, double rel, double abs) {
        for (int i = 0; i < expected.length; i++) {
            double tol = abs + rel * Math.abs(expected[i]);
            assertThat((double) actual[actualOff + i]).as("%s [%d]", what, i).isCloseTo(expected[i], within(tol));
        }
    }

    @Test
    void rmsNormWithWeightAndGemmaOnePlusWeight() {
        for (int n : SIZES) {
            float[] x = gaussian(n + 2, n, 3), w = gaussian(n, n + 1, 1);
            float[] row = java.util.Arrays.copyOfRange(x, 2, n + 2);
            for (boolean onePlus : new boolean[]{false, true}) {
                float[] out = new float[n + 1];
                RmsNorm.apply(out, 1, x, 2, w, n, 1e-6f, onePlus);
                assertClose("rmsnorm n=" + n, RmsNorm.reference(row, w, 1e-6f, onePlus), out, 1, 2e-6, 1e-7);
            }
        }
        float[] x = gaussian(64, 1, 1);
        float[] ones = new float[64];
        java.util.Arrays.fill(ones, 1f);
        RmsNorm.apply(x, 0, x, 0, ones, 64, 0f, false); // in place; unit weights -> mean square 1
        double ms = 0;
        for (float v : x) ms += v * v;
        assertThat(ms / 64).isCloseTo(1.0, within(1e-5));
    }

    @Test
    void ropeMatchesReferenceInBothModesWithPartialDimsAndFrequencyFactors() {
        int headDim = 64, heads = 3;
        float[] factors = new float[16];
        for (int i = 0; i < factors.length; i++) factors[i] = 1f + i * 0.37f;
        for (Rope.Mode mode : Rope.Mode.values()) {
            for (int rotary : new int[]{64, 32}) {
                for (int pos : new int[]{0, 1, 17, 4095, 100_000}) {
                    float[] f = rotary == 32 ? factors : null;
                    double attn = rotary == 32 ? 1.19 : 1.0;
                    Rope rope = new Rope(mode, headDim, rotary, 500000, f, attn);
                    float[] x = gaussian(1 + heads * headDim, pos + rotary, 1);
                    float[] before = x.clone();
                    rope.apply(x, 1, heads, pos);
                    for (int h = 0; h < heads; h++) {
                        float[] head = java.util.Arrays.copyOfRange(before, 1 + h * headDim, 1 + (h + 1) * headDim);
                        float[] ref = Rope.reference(mode, head, rotary, 500000, f, attn, pos);
                        assertClose(mode + " rotary=" + rotary + " pos=" + pos, ref, x, 1 + h * headDim, 1e-5, 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void neoxRopeIsNormalRopeOnInterleavedDims() {
        // HF's rotate_half pairs (i, i + d/2); llama.cpp's normal mode pairs (2i, 2i+1): the same rotation after
        // moving dim i to 2i and dim i + d/2 to 2i+1 (llama.cpp's converter permutes q/k rows exactly so).
        int d = 16;
        float[] x = gaussian(d, 5, 1), interleaved = new float[d];
        for (int i = 0; i < d / 2; i++) {
            interleaved[2 * i] = x[i];
            interleaved[2 * i + 1] = x[i + d / 2];
        }
        new Rope(Rope.Mode.NEOX, d, 10000).apply(x, 0, 1, 7);
        new Rope(Rope.Mode.NORMAL, d, 10000).apply(interleaved, 0, 1, 7);
        for (int i = 0; i < d / 2; i++) {
            assertThat(interleaved[2 * i]).isEqualTo(x[i]);
            assertThat(interleaved[2 * i + 1]).isEqualTo(x[i + d / 2]);
        }
        assertThatThrownBy(() -> new Rope(Rope.Mode.NEOX, 64, 63, 1e4, null, 1)).hasMessageContaining("even");
    }

    @Test
    void softmaxSubtractsTheMaximumAndIgnoresMaskedEntries() {
        for (int n : SIZES) {
            float[] x = gaussian(n + 1, n, 20);
            x[1] = 1000f; // would overflow exp without the max subtraction
            float[] ref = Softmax.reference(java.util.Arrays.copyOfRange(x, 1, n + 1));
            Softmax.apply(x, 1, n);
            assertClose("softmax n=" + n, ref, x, 1, 1e-5, 1e-7);
        }
        float[] masked = {Float.NEGATIVE_INFINITY, 0f, 0f};
        Softmax.apply(masked, 0, 3);
        assertThat(masked).containsExactly(0f, 0.5f, 0.5f);
        assertThatThrownBy(() -> Softmax.apply(new float[]{Float.NEGATIVE_INFINITY}, 0, 1)).hasMessageContaining("masked");
    }

    @Test
    void activationsAndGatedProductsMatchTheirFormulas() {
        for (int n : SIZES) {
            float[] g = gaussian(n, n, 4), u = gaussian(n, n + 9, 1);
            float[] silu = g.clone(), gelu = g.clone(), swiglu = g.clone(), geglu = g.clone(), res = g.clone();
            Activations.silu(silu, 0, n);
            Activations.gelu(gelu, 0, n);
            Activations.swiglu(swiglu, 0, u, 0, n);
            Activations.geglu(geglu, 0, u, 0, n);
            Activations.addInPlace(res, 0, u, 0, n);
            float[] eSilu = new float[n], eGelu = new float[n], eSw = new float[n], eGe = new float[n], eRes = new float[n];
            for (int i = 0; i < n; i++) {
                eSilu[i] = (float) Activations.siluReference(g[i]);
                eGelu[i] = (float) Activations.geluTanhReference(g[i]);
                eSw[i] = (float) (Activations.siluReference(g[i]) * u[i]);
                eGe[i] = (float) (Activations.geluTanhReference(g[i]) * u[i]);
                eRes[i] = g[i] + u[i];
            }
            assertClose("silu", eSilu, silu, 0, 1e-5, 1e-6);
            assertClose("gelu", eGelu, gelu, 0, 1e-5, 1e-6);
            assertClose("swiglu", eSw, swiglu, 0, 1e-5, 1e-6);
            assertClose("geglu", eGe, geglu, 0, 1e-5, 1e-6);
            assertClose("residual", eRes, res, 0, 0, 0);
        }
        // published values: GELU_tanh(1) = 0.841192, SiLU(1) = 0.731059
        assertThat(Activations.geluTanhReference(1)).isCloseTo(0.841192, within(1e-6));
        assertThat(Activations.siluReference(1)).isCloseTo(0.731059, within(1e-6));
    }

    @Test
    void attentionWithGqaCausalMaskWindowAndSoftCap() {
        Random r = new Random(4);
        for (int headDim : new int[]{8, 17, 64}) {
            for (int[] heads : new int[][]{{4, 4}, {6, 2}, {8, 1}}) {
                for (int window : new int[]{0, 5}) {
                    for (float cap : new float[]{0f, 3f}) {
                        int nQuery = 1 + r.nextInt(headDim == 64 ? 45 : 7), first = r.nextInt(20), kvStart = r.nextInt(3), kvEnd = first + nQuery;
                        Attention.Params p = new Attention.Params(heads[0], heads[1], headDim, (float) (1 / Math.sqrt(headDim)), window, cap);
                        float[] q = gaussian(nQuery * heads[0] * headDim, r.nextLong(), 2);
                        float[] k = gaussian(kvEnd * heads[1] * headDim, r.nextLong(), 2);
                        float[] v = gaussian(kvEnd * heads[1] * headDim, r.nextLong(), 1);
                        if (kvStart > first) kvStart = first;
                        float[] out = new float[q.length + 3];
                        Attention.attend(p, q, 0, nQuery, first, k, v, kvStart, kvEnd, out, 3, POOL);
                        float[] ref = Attention.reference(p, q, nQuery, first, k, v, kvStart, kvEnd);
                        assertClose("attention hd=" + headDim + " heads=" + heads[0] + "/" + heads[1] + " window=" + window + " cap=" + cap,
                                ref, out, 3, 1e-4, 1e-5);
                    }
                }
            }
        }
        // a query that sees only its own position returns that position's value
        Attention.Params one = Attention.Params.of(1, 1, 4);
        float[] out = new float[4];
        Attention.attend(one, new float[]{1, 2, 3, 4}, 0, 1, 0, new float[]{1, 1, 1, 1, 9, 9, 9, 9},
                new float[]{5, 6, 7, 8, 0, 0, 0, 0}, 0, 2, out, 0, POOL);
        assertThat(out).containsExactly(5f, 6f, 7f, 8f);
    }

    /** Prefill blocks: several query blocks per head (the last one partial), keys before the first query, GQA. */
    @Test
    void prefillAttentionOverSeveralQueryBlocksMatchesTheReference() {
        Random r = new Random(5);
        for (int headDim : new int[]{64, 17}) {
            for (int window : new int[]{0, 37}) {
                int nQuery = 2 * Attention.QUERY_BLOCK + 11, first = 9, kvStart = 2, kvEnd = first + nQuery;
                Attention.Params p = new Attention.Params(6, 2, headDim, (float) (1 / Math.sqrt(headDim)), window, window > 0 ? 4f : 0f);
                float[] q = gaussian(nQuery * 6 * headDim, r.nextLong(), 2);
                float[] k = gaussian(kvEnd * 2 * headDim, r.nextLong(), 2);
                float[] v = gaussian(kvEnd * 2 * headDim, r.nextLong(), 1);
                float[] out = new float[q.length + 5];
                Attention.attend(p, q, 0, nQuery, first, k, v, kvStart, kvEnd, out, 5, POOL);
                float[] ref = Attention.reference(p, q, nQuery, first, k, v, kvStart, kvEnd);
                assertClose("prefill attention hd=" + headDim + " window=" + window, ref, out, 5, 1e-4, 1e-5);
            }
        }
    }
}
