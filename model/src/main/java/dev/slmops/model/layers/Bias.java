package dev.slmops.model.layers;

/** A bias added to every row, and its gradient (the column sums of dy). */
final class Bias {
    private Bias() {
    }

    /** y[t, o] += b[o] for t < rows. */
    static void add(Vec b, float[] y, int rows) {
        int n = b.n();
        for (int t = 0; t < rows; t++) {
            for (int o = 0; o < n; o++) y[t * n + o] += b.values()[b.off() + o];
        }
    }

    /** db[o] += sum_t dy[t, o] (nothing when the bias is frozen). */
    static void backward(Vec b, float[] dy, int rows) {
        if (!b.trainable()) return;
        int n = b.n();
        for (int o = 0; o < n; o++) {
            double s = 0;
            for (int t = 0; t < rows; t++) s += dy[t * n + o];
            b.grads()[b.off() + o] += (float) s;
        }
    }
}
