package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Batched decode on int8-rounded activations, M rows against one quantized matrix, one thread:
 * "perRow" = M GEMVs (the matrix streamed M times), "blocked" = {@link QuantRowsBatch} with one GEMV kernel per
 * row over each L1-sized block of weights (every row re-widens every block), "multiRow" = the multi-row kernel
 * ({@link Q8Groups}: each chunk widened once for 4 rows; types without one run "blocked"), "gemm" = the F32 GEMM on
 * dequantized panels (what m >= {@link PackedWeights#gemmMinRows} rows run). Same bits on the first three paths. The "nsPerWeightRow" counter is this
 * thread's CPU time per call divided by N K M (ns per weight per activation row): the figure to compare on a loaded
 * machine (JMH sums EVENTS counters over iterations: divide by their count, 3). Shape "NxK": 4864x896 is
 * qwen2.5-0.5b's gate/up, 896x4864 its down projection.
 *
 * <pre>scripts/bench-tensor.sh MultiRowDecodeBenchmark -p dtype=Q8_0</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30"})
public class MultiRowDecodeBenchmark {
    @Param({"Q8_0"})
    public String dtype;
    @Param({"4864x896", "896x4864"})
    public String shape;
    @Param({"8"})
    public int rows;
    @Param({"perRow", "blocked", "multiRow", "gemm"})
    public String path;

    private PackedWeights w;
    private WorkerPool pool;
    private float[] x;
    private float[] y;
    private int n;
    private int k;

    /** CPU time of the benchmark thread per call and per weight-row, averaged over the iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Cpu {
        static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        public double nsPerWeightRow;
        long calls;
        long cpuNanos;

        @Setup(Level.Iteration)
        public void reset() {
            calls = 0;
            cpuNanos = 0;
            nsPerWeightRow = 0;
        }

        void add(long nanos, long weightRows) {
            cpuNanos += nanos;
            calls++;
            nsPerWeightRow = (double) cpuNanos / calls / weightRows;
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        String[] nk = shape.split("x");
        n = Integer.parseInt(nk[0]);
        DType type = DType.valueOf(dtype);
        k = (Integer.parseInt(nk[1]) + type.blockSize - 1) / type.blockSize * type.blockSize;
        w = PackedWeights.pack(type, RandomWeights.of(type, n, k, 1), 0, n, k, true);
        if (!w.roundsToInt8()) throw new IllegalStateException("int8 activations are off here (AVX2 only): nothing to compare");
        Random rnd = new Random(1);
        x = new float[rows * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        y = new float[rows * n];
        pool = new WorkerPool(1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] decodeRows(Cpu cpu) {
        long t0 = Cpu.THREADS.getCurrentThreadCpuTime();
        switch (path) {
            case "perRow" -> {
                for (int r = 0; r < rows; r++) w.gemv(x, r * k, y, r * n, pool, true);
            }
            case "blocked" -> QuantRowsBatch.matmul(w, x, 0, y, 0, rows, pool, true, false);
            case "gemm" -> w.gemm(x, 0, y, 0, rows, pool, true);
            default -> QuantRowsBatch.matmul(w, x, 0, y, 0, rows, pool, true, true);
        }
        cpu.add(Cpu.THREADS.getCurrentThreadCpuTime() - t0, (long) n * k * rows);
        return y;
    }
}
