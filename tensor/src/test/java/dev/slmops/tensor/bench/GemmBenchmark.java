package dev.slmops.tensor.bench;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.matmul.PackedWeights;
import dev.slmops.tensor.parallel.WorkerPool;
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

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Prefill GEMM y[M, N] = x[M, K] . W[N, K]^T. The "gflop" counter is GFLOPS (2 M N K per call). Shape "MxNxK". Compare with the FP32 peak of
 * the machine (2 FMA pipes x 8 lanes x 2 flops x clock on AVX2 Zen 3: ~100 GFLOPS/core at 3.1 GHz).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBenchmark {
    @Param({"F32", "F16", "Q8_0"})
    public String dtype;
    @Param({"128x576x576", "128x1536x576", "128x576x1536"})
    public String shape;
    @Param({"1"})
    public int threads;

    private PackedWeights w;
    private WorkerPool pool;
    private float[] x;
    private float[] y;
    private int m;
    private double flopPerCall;
    private double bytesPerCall;

    @Setup(Level.Trial)
    public void setup() {
        String[] mnk = shape.split("x");
        m = Integer.parseInt(mnk[0]);
        int n = Integer.parseInt(mnk[1]);
        int k = Integer.parseInt(mnk[2]);
        DType type = DType.valueOf(dtype);
        k = BenchWeights.roundUpToBlocks(type, k);
        Random rnd = new Random(1);
        float[] wf = new float[n * k];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) rnd.nextGaussian() * 0.02f;
        w = PackedWeights.pack(type, BenchWeights.encode(type, wf, n, k), 0, n, k);
        x = new float[m * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        y = new float[m * n];
        pool = new WorkerPool(threads);
        flopPerCall = 2.0 * m * n * k;
        bytesPerCall = type.bytesFor((long) n * k);
        System.out.printf("%n[bench] %s %s: %.3f GFLOP per call%n", dtype, shape, flopPerCall / 1e9);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] gemm(Traffic traffic) {
        w.matmul(x, 0, y, 0, m, pool);
        traffic.gflop += flopPerCall / 1e9;
        traffic.gb += bytesPerCall / 1e9;
        return y;
    }
}
