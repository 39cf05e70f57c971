package dev.slmops.model.lora;

import dev.slmops.tensor.parallel.WorkerPool;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The LoRA product against the naive dense oracle y += (scale·B·A) x in double, at awkward sizes (lengths around the
 * vector width, rank 1 to 33), on one thread and on a pool, at buffer offsets; and the scalar twins likewise.
 */
class LoraMatmulTest {
    static LoraWeights random(int r, int in, int out, SplittableRandom rnd) {
        int aOff = 3, bOff = 5 + r * in + 7;
        float[] buf = new float[bOff + out * r + 2];
        for (int i = 0; i < buf.length; i++) buf[i] = (float) rnd.nextGaussian();
        return new LoraWeights(r, in, out, 0.37f, buf, aOff, buf, bOff);
    }

    @Test
    void matchesTheDenseOracleAtAwkwardSizes() {
        SplittableRandom rnd = new SplittableRandom(1);
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int r : new int[] {1, 3, 16, 17, 33}) {
                for (int in : new int[] {1, 7, 15, 16, 17, 33, 300}) {
                    for (int out : new int[] {1, 5, 31, 257}) {
                        for (int rows : new int[] {1, 3, 40}) {
                            LoraWeights w = random(r, in, out, rnd);
                            float[] x = new float[2 + rows * in];
                            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                            float[] y0 = new float[1 + rows * out];
                            for (int i = 0; i < y0.length; i++) y0[i] = (float) rnd.nextGaussian();
                            double[] d = LoraMatmul.deltaWeight(w);
                            double[] expect = new double[rows * out];
                            for (int t = 0; t < rows; t++) {
                                for (int o = 0; o < out; o++) {
                                    double s = y0[1 + t * out + o];
                                    for (int i = 0; i < in; i++) s += d[o * in + i] * x[2 + t * in + i];
                                    expect[t * out + o] = s;
                                }
                            }
                            float[] single = y0.clone(), parallel = y0.clone(), scalar = y0.clone();
                            LoraMatmul.addDelta(w, x, 2, rows, single, 1);
                            LoraMatmul.addDelta(w, x, 2, rows, parallel, 1, pool);
                            float[] u = new float[rows * r];
                            LoraMatmul.downScalar(w, x, 2, rows, u, 0);
                            LoraMatmul.upScalar(w, u, 0, rows, scalar, 1, 0, out);
                            double tol = 1e-5 * Math.sqrt(r * in) * 4;
                            double worst = 0;
                            for (int k = 0; k < expect.length; k++) {
                                worst = Math.max(worst, Math.abs(single[1 + k] - expect[k]));
                                worst = Math.max(worst, Math.abs(parallel[1 + k] - expect[k]));
                                worst = Math.max(worst, Math.abs(scalar[1 + k] - expect[k]));
                            }
                            assertThat(worst).as("r=%d in=%d out=%d rows=%d", r, in, out, rows).isLessThan(tol);
                            assertThat(single[0]).isEqualTo(y0[0]);
                        }
                    }
                }
            }
        }
    }
}
