package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/** Scratch A/B timing (one thread, CPU time): blocked vs multiRow, alternating. Args: dtype N K M reps. */
public final class MultiRowTiming {
    public static void main(String[] a) {
        DType type = DType.valueOf(a[0]);
        int n = Integer.parseInt(a[1]), k = Integer.parseInt(a[2]), m = Integer.parseInt(a[3]), reps = Integer.parseInt(a[4]);
        PackedWeights w = PackedWeights.pack(type, RandomWeights.of(type, n, k, 1), 0, n, k, true);
        Random rnd = new Random(1);
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] y = new float[m * n], y2 = new float[m * n];
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        try (WorkerPool pool = new WorkerPool(1)) {
            for (int round = 0; round < 6; round++) {
                long tb = 0, tmr = 0;
                for (int i = 0; i < reps; i++) {
                    long t0 = tm.getCurrentThreadCpuTime();
                    QuantRowsBatch.matmul(w, x, 0, y, 0, m, pool, true, false);
                    long t1 = tm.getCurrentThreadCpuTime();
                    QuantRowsBatch.matmul(w, x, 0, y2, 0, m, pool, true, true);
                    long t2 = tm.getCurrentThreadCpuTime();
                    tb += t1 - t0;
                    tmr += t2 - t1;
                }
                boolean same = java.util.Arrays.equals(y, y2);
                double wr = (double) n * k * m * reps;
                System.out.printf("%s %dx%d m=%d  blocked %.4f  multiRow %.4f ns/weight-row  same=%b%n", type, n, k, m, tb / wr, tmr / wr, same);
            }
        }
    }
}
