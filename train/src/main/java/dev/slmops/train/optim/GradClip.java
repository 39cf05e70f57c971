package dev.slmops.train.optim;

import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.ops.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gradient clipping by global L2 norm, as {@code torch.nn.utils.clip_grad_norm_}: the norm over all gradients
 * together; when it exceeds {@code maxNorm} every gradient is scaled by {@code maxNorm / (norm + 1e-6)}.
 */
public final class GradClip {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private GradClip() {
    }

    /**
     * Scales {@code grads} in place so their global norm is at most {@code maxNorm} and returns the norm before
     * clipping (what HF logs as grad_norm). {@code maxNorm <= 0} or infinite turns clipping off (the norm is still
     * returned).
     */
    public static double clip(float[] grads, double maxNorm) {
        return clip(grads, maxNorm, null);
    }

    /** {@link #clip(float[], double)} on {@code pool}'s threads (null: the caller's); the result does not depend on them. */
    public static double clip(float[] grads, double maxNorm, WorkerPool pool) {
        double norm = globalNorm(grads, pool);
        if (maxNorm > 0 && Double.isFinite(maxNorm)) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) scale(grads, (float) coef, pool);
        }
        return norm;
    }

    /** Floats summed in float lanes before the block's partial sum goes to double. */
    private static final int BLOCK = 1 << 12;
    /** Blocks per parallel task. */
    private static final int BLOCKS_PER_TASK = 64;

    /** sqrt(sum g^2), accumulated per vector lane in blocks whose partial sums are added in double, in order. */
    public static double globalNorm(float[] g) {
        return globalNorm(g, null);
    }

    /** The same sum with the blocks spread over {@code pool}; partial sums are added in block order either way. */
    public static double globalNorm(float[] g, WorkerPool pool) {
        int blocks = (g.length + BLOCK - 1) / BLOCK;
        double[] partial = new double[blocks];
        int tasks = (blocks + BLOCKS_PER_TASK - 1) / BLOCKS_PER_TASK;
        java.util.function.IntConsumer task = t -> {
            for (int b = t * BLOCKS_PER_TASK; b < Math.min(blocks, (t + 1) * BLOCKS_PER_TASK); b++) {
                partial[b] = sumOfSquares(g, b * BLOCK, Math.min(g.length, (b + 1) * BLOCK));
            }
        };
        if (pool == null) for (int t = 0; t < tasks; t++) task.accept(t);
        else pool.parallelFor(tasks, task);
        double total = 0;
        for (double p : partial) total += p;
        return Math.sqrt(total);
    }

    private static double sumOfSquares(float[] g, int start, int end) {
        int i = start;
        FloatVector acc = FloatVector.zero(S);
        for (int bound = start + S.loopBound(end - start); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, g, i);
            acc = v.fma(v, acc);
        }
        double partial = VectorMath.sum(acc);
        for (; i < end; i++) partial += (double) g[i] * g[i];
        return partial;
    }

    /** The naive reference: every square summed in double. */
    public static double globalNormReference(float[] g) {
        double total = 0;
        for (float x : g) total += (double) x * x;
        return Math.sqrt(total);
    }

    /** g *= factor over the whole buffer (also how accumulated gradients are divided by their token count). */
    public static void scale(float[] g, float factor) {
        scale(g, factor, null);
    }

    public static void scale(float[] g, float factor, WorkerPool pool) {
        int chunk = BLOCK * BLOCKS_PER_TASK;
        int tasks = (g.length + chunk - 1) / chunk;
        java.util.function.IntConsumer task = t -> {
            int start = t * chunk, end = Math.min(g.length, start + chunk), i = start;
            for (int bound = start + S.loopBound(end - start); i < bound; i += S.length()) {
                FloatVector.fromArray(S, g, i).mul(factor).intoArray(g, i);
            }
            for (; i < end; i++) g[i] *= factor;
        };
        if (pool == null) for (int t = 0; t < tasks; t++) task.accept(t);
        else pool.parallelFor(tasks, task);
    }
}
