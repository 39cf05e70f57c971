package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;

/** Row-wise operations of the forward pass (plain loops; the tensor layer's kernels replace the hot ones). */
final class Ops {
    private Ops() {
    }

    /** y[r] = x[r] / sqrt(mean(x[r]^2) + eps) * (w or 1 + w), rows of n; y may alias x. */
    static void rmsNorm(float[] y, float[] x, float[] w, int rows, int n, double eps, boolean plusOne) {
        rmsNorm(y, 0, x, 0, w, rows, n, eps, plusOne);
    }

    static void rmsNorm(float[] y, int yOff, float[] x, int xOff, float[] w, int rows, int n, double eps, boolean plusOne) {
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * n, yo = yOff + r * n;
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (double) x[xo + i] * x[xo + i];
            float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
            for (int i = 0; i < n; i++) {
                float wi = plusOne ? 1f + w[i] : w[i];
                y[yo + i] = x[xo + i] * inv * wi;
            }
        }
    }

    static void scale(float[] x, int off, int n, float s) {
        for (int i = 0; i < n; i++) x[off + i] *= s;
    }

    static void add(float[] acc, float[] x, int n) {
        for (int i = 0; i < n; i++) acc[i] += x[i];
    }

    /** cap * tanh(x / cap), in place. */
    static void softcap(float[] x, int n, float cap) {
        for (int i = 0; i < n; i++) x[i] = (float) (cap * Math.tanh(x[i] / cap));
    }

    /** gate[i] = act(gate[i]) * up[i]. */
    static void gatedActivation(float[] gate, float[] up, int n, ModelConfig.Activation act) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            float a = switch (act) {
                case SILU -> (float) (g / (1.0 + Math.exp(-g)));
                case GELU_TANH -> (float) (0.5 * g * (1.0 + Math.tanh(0.7978845608028654 * (g + 0.044715 * g * g * g))));
            };
            gate[i] = a * up[i];
        }
    }

    /** Splits rows of [a | b | c] into three row-major arrays. */
    static void split3(float[] src, int rows, float[] a, int na, float[] b, int nb, float[] c, int nc) {
        int w = na + nb + nc;
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, r * w, a, r * na, na);
            System.arraycopy(src, r * w + na, b, r * nb, nb);
            System.arraycopy(src, r * w + na + nb, c, r * nc, nc);
        }
    }

    /** Splits rows of [a | b], each n wide. */
    static void split2(float[] src, int rows, float[] a, float[] b, int n) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, r * 2 * n, a, r * n, n);
            System.arraycopy(src, r * 2 * n + n, b, r * n, n);
        }
    }
}
