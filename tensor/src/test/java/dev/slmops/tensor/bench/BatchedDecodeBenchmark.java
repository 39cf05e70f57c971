package dev.slmops.tensor.bench;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.matmul.PackedWeights;
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
 * Batched decode on quantized weights: M activation rows (8 sequences decoding together) against one matrix, as
 * M separate GEMVs ("perRow": the matrix streamed M times) or one call of {@link PackedWeights#matmul} (the
 * few-rows path that reads the weights once). One thread (the pool runs on the caller), so the "cpuUsPerCall"
 * counter (this thread's CPU time per call, microseconds; JMH sums an EVENTS counter over the measurement
 * iterations, so divide it by their count, 3) is what to compare on a loaded machine, not the wall time.
 * Shape "NxK": 4864x896 is qwen2.5-0.5b's gate/up projection, 896x4864 its down projection.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30"})
public class BatchedDecodeBenchmark {
    @Param({"Q8_0", "Q4_0"})
    public String dtype;
    @Param({"4864x896", "896x4864"})
    public String shape;
    @Param({"8"})
    public int rows;
    @Param({"perRow", "batched"})
    public String path;

    private PackedWeights w;
    private WorkerPool pool;
    private float[] x;
    private float[] y;
    private int n;
    private int k;

    /** CPU time of the benchmark thread per call, reported as an average over the iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Cpu {
        static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        public double cpuUsPerCall;
        long calls;
        long cpuNanos;

        @Setup(Level.Iteration)
        public void reset() {
            calls = 0;
            cpuNanos = 0;
            cpuUsPerCall = 0;
        }

        void add(long nanos) {
            cpuNanos += nanos;
            calls++;
            cpuUsPerCall = cpuNanos / 1e3 / calls;
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        String[] nk = shape.split("x");
        n = Integer.parseInt(nk[0]);
        DType type = DType.valueOf(dtype);
        k = BenchWeights.roundUpToBlocks(type, Integer.parseInt(nk[1]));
        Random rnd = new Random(1);
        float[] wf = new float[n * k];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) rnd.nextGaussian() * 0.02f;
        w = PackedWeights.pack(type, BenchWeights.encode(type, wf, n, k), 0, n, k);
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
        if (path.equals("perRow")) {
            for (int r = 0; r < rows; r++) w.matmul(x, r * k, y, r * n, 1, pool);
        } else {
            w.matmul(x, 0, y, 0, rows, pool);
        }
        cpu.add(Cpu.THREADS.getCurrentThreadCpuTime() - t0);
        return y;
    }
}
