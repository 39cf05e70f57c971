package dev.slmops.tensor.ops;

import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Each op's backward against central finite differences of its naive double-precision forward: for a random
 * upstream gradient dy, d(sum dy.y)/d(input) must equal what backward accumulates.
 */
class BackwardOpsTest {
    private static final WorkerPool POOL = new WorkerPool(2);
    private static final double H = 1e-4;

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

    /** d/dv[i] of f(v) by central differences in double, for every i. */
    static double[] numericGradient(double[] v, Function<double[], Double> f) {
        double[] g = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double keep = v[i];
            v[i] = keep + H;
            double up = f.apply(v);
            v[i] = keep - H;
            double down = f.apply(v);
            v[i] = keep;
            g[i] = (up - down) / (2 * H);
        }
        return g;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static void assertGradient(String what, double[] expected, float[] actual) {
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("%s [%d]", what, i).isCloseTo(expected[i], within(1e-4 * scale + 1e-5));
        }
    }

    static double rmsNormLoss(double[] x, double[] w, double[] dy, float eps, boolean plusOne) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double r = 1 / Math.sqrt(ss / x.length + eps), s = 0;
        for (int i = 0; i < x.length; i++) s += dy[i] * x[i] * r * (plusOne ? 1 + w[i] : w[i]);
        return s;
    }

    @Test
    void rmsNormBackwardInBothWeightForms() {
        for (boolean plusOne : new boolean[] {false, true}) {
            for (int n : new int[] {1, 7, 64}) {
                float[] x = gaussian(n, n, 2), w = gaussian(n, n + 1, 1), dy = gaussian(n, n + 2, 1);
                float[] dx = new float[n + 3], dw = new float[n + 5];
                RmsNorm.backward(dx, 3, dw, 5, dy, 0, x, 0, w, n, 1e-5f, plusOne);
                double[] xd = toDouble(x), wd = toDouble(w), dyd = toDouble(dy);
                double[] gx = numericGradient(xd, v -> rmsNormLoss(v, wd, dyd, 1e-5f, plusOne));
                double[] gw = numericGradient(wd, v -> rmsNormLoss(xd, v, dyd, 1e-5f, plusOne));
                assertGradient("dx n=" + n + " plusOne=" + plusOne, gx, java.util.Arrays.copyOfRange(dx, 3, 3 + n));
                assertGradient("dw n=" + n + " plusOne=" + plusOne, gw, java.util.Arrays.copyOfRange(dw, 5, 5 + n));
            }
        }
    }

    @Test
    void gatedActivationBackwardSiluAndGeluTanh() {
        int n = 33;
        for (boolean gelu : new boolean[] {false, true}) {
            float[] g = gaussian(n, 1, 2), u = gaussian(n, 2, 1), dh = gaussian(n, 3, 1);
            float[] dg = new float[n], du = new float[n];
            Activations.gatedBackward(gelu, dg, du, 0, dh, 0, g, u, 0, n);
            double[] gd = toDouble(g), ud = toDouble(u), dhd = toDouble(dh);
            Function<double[][], Double> loss = gu -> {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    double a = gelu ? Activations.geluTanhReference(gu[0][i]) : Activations.siluReference(gu[0][i]);
                    s += dhd[i] * a * gu[1][i];
                }
                return s;
            };
            assertGradient("dgate gelu=" + gelu, numericGradient(gd, v -> loss.apply(new double[][] {v, ud})), dg);
            assertGradient("dup gelu=" + gelu, numericGradient(ud, v -> loss.apply(new double[][] {gd, v})), du);
            // the forward kernels agree with the references the gradient was taken of
            float[] fused = g.clone();
            if (gelu) Activations.geglu(fused, 0, u, 0, n); else Activations.swiglu(fused, 0, u, 0, n);
            for (int i = 0; i < n; i++) {
                double ref = (gelu ? Activations.geluTanhReference(g[i]) : Activations.siluReference(g[i])) * u[i];
                assertThat((double) fused[i]).isCloseTo(ref, within(1e-5 * (1 + Math.abs(ref))));
            }
        }
    }

    @Test
    void attentionBackwardWithGqaCausalSlidingWindowAndSoftcap() {
        int rows = 11, r0 = 2, r1 = 11, heads = 4, kvHeads = 2, hd = 8;
        for (int variant = 0; variant < 3; variant++) {
            Attention.Params p = switch (variant) {
                case 0 -> new Attention.Params(heads, kvHeads, hd, 0.35f, 0, 0f);    // causal
                case 1 -> new Attention.Params(heads, kvHeads, hd, 0.35f, 3, 0f);    // sliding window of 3
                default -> new Attention.Params(heads, kvHeads, hd, 0.35f, 4, 0.9f); // window + soft-cap
            };
            float[] q = gaussian(rows * heads * hd, 10 + variant, 1), k = gaussian(rows * kvHeads * hd, 20 + variant, 1);
            float[] v = gaussian(rows * kvHeads * hd, 30 + variant, 1), dOut = gaussian(rows * heads * hd, 40 + variant, 1);
            for (int i = 0; i < r0 * heads * hd; i++) dOut[i] = 0; // rows before the segment are not its output
            // the engine's forward equals the reference whose gradient is checked
            float[] out = new float[q.length];
            Attention.attend(p, q, r0 * heads * hd, r1 - r0, r0, k, v, r0, r1, out, r0 * heads * hd, POOL);
            double[] ref = AttentionBackward.forwardReference(p, r0, r1, toDouble(q), toDouble(k), toDouble(v));
            for (int i = r0 * heads * hd; i < out.length; i++) assertThat((double) out[i]).isCloseTo(ref[i], within(1e-5));

            float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
            AttentionBackward.backward(p, r0, r1, q, k, v, dOut, dq, dk, dv, POOL);
            double[] qd = toDouble(q), kd = toDouble(k), vd = toDouble(v), dod = toDouble(dOut);
            Function<double[][], Double> loss = qkv -> {
                double[] o = AttentionBackward.forwardReference(p, r0, r1, qkv[0], qkv[1], qkv[2]);
                double s = 0;
                for (int i = 0; i < o.length; i++) s += o[i] * dod[i];
                return s;
            };
            assertGradient("dq variant " + variant, numericGradient(qd, x -> loss.apply(new double[][] {x, kd, vd})), dq);
            assertGradient("dk variant " + variant, numericGradient(kd, x -> loss.apply(new double[][] {qd, x, vd})), dk);
            assertGradient("dv variant " + variant, numericGradient(vd, x -> loss.apply(new double[][] {qd, kd, x})), dv);
        }
    }

    /**
     * The GEMM-blocked backward (several query blocks, the last partial; GQA; window; soft-cap) accumulates what the
     * one-query-at-a-time twin does. The finite-difference check above covers one block (it runs {@code backward},
     * the blocked path whenever vectors are on); this covers the block edges at a real head size.
     */
    @Test
    void blockedAttentionBackwardMatchesTheRowByRowTwinOnSeveralQueryBlocks() {
        int heads = 6, kvHeads = 2, hd = 64, r0 = 3, r1 = r0 + 2 * AttentionBackward.QUERY_BLOCK + 13, rows = r1 + 2;
        for (int variant = 0; variant < 3; variant++) {
            Attention.Params p = switch (variant) {
                case 0 -> new Attention.Params(heads, kvHeads, hd, 0.125f, 0, 0f);
                case 1 -> new Attention.Params(heads, kvHeads, hd, 0.125f, 37, 0f);
                default -> new Attention.Params(heads, kvHeads, hd, 0.125f, 70, 2.5f);
            };
            float[] q = gaussian(rows * heads * hd, 50 + variant, 1), k = gaussian(rows * kvHeads * hd, 60 + variant, 1);
            float[] v = gaussian(rows * kvHeads * hd, 70 + variant, 1), dOut = gaussian(rows * heads * hd, 80 + variant, 1);
            float[] dq0 = gaussian(q.length, 90, 1), dk0 = gaussian(k.length, 91, 1), dv0 = gaussian(v.length, 92, 1);
            float[] dq = dq0.clone(), dk = dk0.clone(), dv = dv0.clone();
            float[] eq = dq0.clone(), ek = dk0.clone(), ev = dv0.clone();
            AttentionBackward.backwardBlocked(p, r0, r1, q, k, v, dOut, dq, dk, dv, POOL);
            AttentionBackward.backwardRows(p, r0, r1, q, k, v, dOut, eq, ek, ev, POOL);
            for (int i = 0; i < dq.length; i++) assertThat((double) dq[i]).as("dq[%d] variant %d", i, variant).isCloseTo(eq[i], within(2e-4));
            for (int i = 0; i < dk.length; i++) assertThat((double) dk[i]).as("dk[%d] variant %d", i, variant).isCloseTo(ek[i], within(2e-4));
            for (int i = 0; i < dv.length; i++) assertThat((double) dv[i]).as("dv[%d] variant %d", i, variant).isCloseTo(ev[i], within(2e-4));
        }
    }
}
