package dev.slmops.train.loop;

import dev.slmops.train.Example;

import java.util.List;
import java.util.Random;

/**
 * The order examples are seen in: a seeded shuffle per epoch, a pure function of (seed, epoch), so a checkpoint only
 * needs the epoch and the step inside it to continue with the same batches. {@link Random} is used because its
 * sequence is fixed by its specification: the same seed gives the same order on every JVM.
 */
public final class DataOrder {
    private DataOrder() {
    }

    /** [n] a permutation of 0..n-1 for this epoch (Fisher-Yates). */
    public static int[] permutation(long seed, int epoch, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Micro-batches in one epoch: ceil(n / batchSize). */
    public static long microBatchesPerEpoch(int n, int batchSize) {
        return (n + (long) batchSize - 1) / batchSize;
    }

    /** Optimizer steps in one epoch: ceil(microBatches / gradAccum) (the last step may have fewer micro-batches). */
    public static long stepsPerEpoch(int n, int batchSize, int gradAccum) {
        return (microBatchesPerEpoch(n, batchSize) + gradAccum - 1) / gradAccum;
    }

    /** "n:hash" of the examples' tokens and masks: a resumed run refuses different data. */
    public static String fingerprint(List<Example> examples) {
        long h = 0xcbf29ce484222325L; // FNV-1a 64
        for (Example e : examples) {
            for (int i = 0; i < e.tokens().length; i++) {
                h = (h ^ e.tokens()[i]) * 0x100000001b3L;
                h = (h ^ (e.lossOn()[i] ? 1 : 0)) * 0x100000001b3L;
            }
            h = (h ^ -1) * 0x100000001b3L;
        }
        return examples.size() + ":" + Long.toHexString(h);
    }
}
