package dev.slmops.model.engine;

import dev.slmops.model.arch.RopeScaling;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * RoPE's backward is the adjoint of its forward (a scaled rotation per pair, linear in x): for every x and dy,
 * (apply(x) . dy) = (x . applyBackward(dy)). Checked for plain, partial rotary, llama3 and LongRoPE tables (the
 * latter with its attention factor, which the backward must keep, not invert).
 */
class RopeTableBackwardTest {
    @Test
    void backwardIsTheAdjointOfTheForwardForEveryScaling() {
        int headDim = 16, heads = 3;
        float[] factors = {1f, 1.5f, 2f, 3f, 4f, 6f};
        RopeTable[] tables = {
                new RopeTable(16, 10000, null, false),
                new RopeTable(12, 10000, null, false),                                             // partial rotary
                new RopeTable(16, 500000, RopeScaling.llama3(8, 1, 4, 16), false),
                new RopeTable(12, 10000, RopeScaling.longRope(factors, factors, 32, 128, null), true),
        };
        Random rnd = new Random(5);
        for (RopeTable rope : tables) {
            for (int pos : new int[] {0, 1, 17, 100}) {
                float[] x = new float[heads * headDim], dy = new float[heads * headDim];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextGaussian();
                    dy[i] = (float) rnd.nextGaussian();
                }
                float[] y = x.clone(), dx = dy.clone();
                rope.apply(y, 0, heads, headDim, pos);
                rope.applyBackward(dx, 0, heads, headDim, pos);
                double lhs = 0, rhs = 0;
                for (int i = 0; i < x.length; i++) {
                    lhs += (double) y[i] * dy[i];
                    rhs += (double) x[i] * dx[i];
                }
                assertThat(rhs).as("rope dims %d pos %d", rope.ropeDims, pos).isCloseTo(lhs, within(1e-5 * (1 + Math.abs(lhs))));
            }
        }
    }
}
