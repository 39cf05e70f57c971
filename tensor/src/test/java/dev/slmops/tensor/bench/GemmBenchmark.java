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
 * Prefill GEMM y[M, N] = x[M, K] . W[N, K]^T on the real projection shapes at 512 prompt tokens. Shape "MxNxK":
 * smollm2-135m (K=576: q/o 576, k/v 192, gate/up 1536, LM head 49152; down K=1536) and qwen2.5-0.5b (K=896: q/o 896,
 * k/v 128, gate/up 4864, LM head 151936; down K=4864). The "gflop" counter is GFLOPS per wall second (2 M N K per
 * call); the "[cpu]" lines printed per iteration give GFLOPS per CPU-second ({@link CpuGflops}), the figure to
 * trust on a busy machine. Compare with the FP32 peak (AVX2 Zen 3: 32 flops per cycle per core, ~96 GFLOPS at 3 GHz).
 * The LM-head shapes need a few GB of heap and a minute of setup; pick shapes with {@code -p shape=...}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30", "-Xmx8g"})
public class GemmBenchmark {
    @Param({"F16", "Q8_0", "Q4_0"})
    public String dtype;
    @Param({"512x576x576", "512x192x576", "512x1536x576", "512x576x1536", "512x49152x576",
            "512x896x896", "512x128x896", "512x4864x896", "512x896x4864", "512x151936x896"})
    public String shape;
    @Param({"1", "2"})
    public int threads;

    private PackedWeights w;
    private WorkerPool pool;
    private float[] x;
    private float[] y;
    private int m;
    private double flopPerCall;
    private double bytesPerCall;
    private final CpuGflops cpu = new CpuGflops();

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

    @Setup(Level.Iteration)
    public void startIteration() {
        cpu.start();
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        cpu.report(dtype + " " + shape + " threads=" + threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] gemm(Traffic traffic) {
        w.matmul(x, 0, y, 0, m, pool);
        traffic.gflop += flopPerCall / 1e9;
        cpu.add(flopPerCall / 1e9);
        traffic.gb += bytesPerCall / 1e9;
        return y;
    }
}
