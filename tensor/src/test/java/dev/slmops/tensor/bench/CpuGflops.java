package dev.slmops.tensor.bench;

import java.lang.management.ManagementFactory;

/**
 * GFLOPS per CPU-second of this process, printed per JMH iteration: a figure that stays meaningful on a shared
 * machine where wall-clock throughput swings with other people's load (time a thread waits for a core is not
 * charged). Spin-waiting pool workers are charged, so load imbalance between threads still shows. Multiply by the
 * thread count for what the threads would do on an otherwise idle machine; compare with the FP32 peak per core
 * (AVX2 Zen 3: 2 FMA pipes x 8 lanes x 2 flops x clock = 32 flops per cycle, ~96 GFLOPS at 3 GHz).
 */
final class CpuGflops {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private long cpuStart;
    private long wallStart;
    private double gflop;

    void start() {
        cpuStart = OS.getProcessCpuTime();
        wallStart = System.nanoTime();
        gflop = 0;
    }

    void add(double gflopPerCall) {
        gflop += gflopPerCall;
    }

    /** Prints "[cpu] label: X GFLOPS per CPU-second (Y wall)"; call at the end of an iteration. */
    void report(String label) {
        double cpuS = (OS.getProcessCpuTime() - cpuStart) / 1e9, wallS = (System.nanoTime() - wallStart) / 1e9;
        System.out.printf("%n[cpu] %s: %.1f GFLOPS per CPU-second, %.1f per wall second%n", label, gflop / cpuS, gflop / wallS);
    }
}
