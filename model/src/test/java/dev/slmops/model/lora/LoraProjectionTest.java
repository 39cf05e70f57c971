package dev.slmops.model.lora;

import dev.slmops.model.layers.FrozenProjection;
import dev.slmops.model.layers.Projection;
import dev.slmops.model.layers.Vec;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Quantize;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The LoRA-aware projection's backward (a frozen base plus a trained adapter with dropout) against finite
 * differences of its own forward (the dropout mask is a function of the step seed, so forward and backward see the
 * same one), at a row count on the row-by-row path and one on the GEMM path.
 */
class LoraProjectionTest {
    static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    static float[] gaussian(int n, long seed, double s) {
        Random r = new Random(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (r.nextGaussian() * s);
        return f;
    }

    /** sum(dy . y) in double for the projection's forward. */
    static double loss(Projection p, RowAdapters a, float[] x, int rows, float[] dy) {
        float[] y = new float[rows * p.out()];
        LoraProjection.forward(p, a, x, rows, y, POOL);
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) y[i] * dy[i];
        return s;
    }

    /** Checks backward's gradient of v[off .. off+n) (accumulated at g[off ..]) against central differences. */
    static void check(String what, Projection p, RowAdapters a, float[] x, int rows, float[] dy, float[] v, float[] g,
                      int off, int n) {
        float h = 1e-2f;
        for (int i = off; i < off + n; i++) {
            float keep = v[i];
            v[i] = keep + h;
            double up = loss(p, a, x, rows, dy);
            v[i] = keep - h;
            double down = loss(p, a, x, rows, dy);
            v[i] = keep;
            double numeric = (up - down) / (2 * h);
            assertThat((double) g[i]).as("%s [%d]", what, i - off).isCloseTo(numeric, within(2e-3 * (1 + Math.abs(numeric))));
        }
    }

    @Test
    void loraWithDropoutOverAFrozenBase() {
        for (int rows : new int[] {5, LoraMatmul.GEMM_MIN_ROWS + 3}) {
            int in = 32, out = 12, r = 3;
            float[] w = gaussian(out * in, 1, 0.3);
            MemorySegment seg = Quantize.fromFloat(DType.F32, w);
            Projection base = new FrozenProjection("w", DType.F32, seg, out, in, Vec.frozen(gaussian(out, 2, 1)));
            float[] values = gaussian(r * in + out * r, 3, 0.5), grads = new float[values.length];
            LoraAdapter adapter = new LoraAdapter("t", r, 2f * r, false, List.of("w"),
                    Map.of("w", new LoraWeights(r, in, out, 2f, values, 0, values, r * in)), Map.of());
            RowAdapters lora = RowAdapters.training(adapter, grads, 0.3f);
            lora.stepSeed(42);
            float[] x = gaussian(rows * in, 4, 1), dy = gaussian(rows * out, 5, 1), dx = new float[rows * in];
            LoraProjection.backward(base, lora, x, dy, rows, dx, POOL);
            check("dA", base, lora, x, rows, dy, values, grads, 0, r * in);
            check("dB", base, lora, x, rows, dy, values, grads, r * in, out * r);
            check("dx", base, lora, x, rows, dy, x, dx, 0, rows * in);
            // with the seed fixed the mask is fixed: two forwards agree; some inputs were dropped
            double dropped = loss(base, lora, x, rows, dy);
            assertThat(loss(base, lora, x, rows, dy)).isEqualTo(dropped);
            lora.training(false);
            assertThat(loss(base, lora, x, rows, dy)).isNotEqualTo(dropped);
        }
    }
}
