package dev.slmops.model.engine;

/** Small row-wise steps of the forward and backward passes that the tensor layer has no kernel for (copies, scaling). */
final class Ops {
    private Ops() {
    }

    static void scale(float[] x, int off, int n, float s) {
        for (int i = 0; i < n; i++) x[off + i] *= s;
    }

    /** cap * tanh(x / cap), in place. */
    static void softcap(float[] x, int n, float cap) {
        for (int i = 0; i < n; i++) x[i] = (float) (cap * Math.tanh(x[i] / cap));
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

    /** The inverse of {@link #split3}: rows of [a | b | c] (the gradient of a fused projection's output). */
    static float[] join3(int rows, float[] a, int na, float[] b, int nb, float[] c, int nc) {
        int w = na + nb + nc;
        float[] dst = new float[rows * w];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a, r * na, dst, r * w, na);
            System.arraycopy(b, r * nb, dst, r * w + na, nb);
            System.arraycopy(c, r * nc, dst, r * w + na + nb, nc);
        }
        return dst;
    }

    /** The inverse of {@link #split2}. */
    static float[] join2(int rows, float[] a, float[] b, int n) {
        float[] dst = new float[rows * 2 * n];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a, r * n, dst, r * 2 * n, n);
            System.arraycopy(b, r * n, dst, r * 2 * n + n, n);
        }
        return dst;
    }
}
