package dev.slmops.workflows.bench;

import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.ops.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures memory read bandwidth the way decode reads weights: every thread of the pool streams its share of a
 * buffer far larger than the caches, summing it with vectors. The best of a few passes is reported.
 */
final class Bandwidth {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int BUFFER_FLOATS = 64 << 20; // 256 MiB

    private Bandwidth() {
    }

    static double measureGbs(WorkerPool pool) {
        float[] buf = new float[BUFFER_FLOATS];
        java.util.Arrays.fill(buf, 1f);
        int tasks = pool.threads();
        int per = BUFFER_FLOATS / tasks / S.length() * S.length();
        float[] sink = new float[tasks];
        double best = 0;
        for (int pass = 0; pass < 6; pass++) {
            long t0 = System.nanoTime();
            pool.parallelFor(tasks, task -> {
                int from = task * per, to = from + per;
                FloatVector acc = FloatVector.zero(S);
                for (int i = from; i < to; i += S.length()) acc = acc.add(FloatVector.fromArray(S, buf, i));
                sink[task] = VectorMath.sum(acc);
            });
            double s = (System.nanoTime() - t0) / 1e9;
            if (pass > 0) best = Math.max(best, (double) per * tasks * 4 / s / 1e9);
        }
        if (sink[0] < 0) throw new AssertionError(); // keep the sums alive
        return best;
    }
}
