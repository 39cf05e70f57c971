package dev.slmops.model.layers;

import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The trainable dense projection's backward against finite differences of its own forward. */
class ProjectionBackwardTest {
    static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    public static float[] gaussian(int n, long seed, double s) {
        Random r = new Random(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (r.nextGaussian() * s);
        return f;
    }

    /** sum(dy . y) in double for the projection's forward. */
    public static double loss(Projection p, float[] x, int rows, float[] dy) {
        float[] y = new float[rows * p.out()];
        p.forward(x, rows, y, POOL);
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) y[i] * dy[i];
        return s;
    }

    /** Checks backward's gradient of {@code v} (accumulated at grads[off ..]) against central differences. */
    static void check(String what, Projection p, float[] x, int rows, float[] dy, float[] v, float[] g, int off, int n) {
        float h = 1e-2f;
        for (int i = off; i < off + n; i++) {
            float keep = v[i];
            v[i] = keep + h;
            double up = loss(p, x, rows, dy);
            v[i] = keep - h;
            double down = loss(p, x, rows, dy);
            v[i] = keep;
            double numeric = (up - down) / (2 * h);
            assertThat((double) g[i]).as("%s [%d]", what, i - off).isCloseTo(numeric, within(2e-3 * (1 + Math.abs(numeric))));
        }
    }

    @Test
    void denseProjectionWithBias() {
        int rows = 4, in = 9, out = 7;
        float[] values = gaussian(out * in + out, 6, 0.5), grads = new float[values.length];
        DenseProjection p = new DenseProjection("w", out, in, values, grads, 0, new Vec(values, grads, out * in, out));
        float[] x = gaussian(rows * in, 7, 1), dy = gaussian(rows * out, 8, 1), dx = new float[rows * in];
        p.backward(x, dy, rows, dx, POOL);
        check("dW", p, x, rows, dy, values, grads, 0, out * in);
        check("db", p, x, rows, dy, values, grads, out * in, out);
        check("dx", p, x, rows, dy, x, dx, 0, rows * in);
    }
}
