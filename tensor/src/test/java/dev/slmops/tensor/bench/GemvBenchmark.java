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

import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Decode GEMV y[N] = W[N, K] . x[K] per weight dtype at llama-like shapes. Bytes moved per call = the weight's
 * file size (its dtype's bits per weight); the "gb" counter is GB/s of those bytes, "gflop" GFLOPS. Compare with ~31 GB/s (one core) and
 * ~61 GB/s (two) measured on this machine. Shape "NxK".
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30"})
public class GemvBenchmark {
    @Param({"Q8_0", "Q4_0", "Q4_K", "Q5_0", "Q5_K", "Q6_K", "F16", "BF16", "F32"})
    public String dtype;
    @Param({"576x576", "1536x576", "576x1536", "4864x896", "49152x576"})
    public String shape;
    @Param({"1"})
    public int threads;

    private PackedWeights w;
    private WorkerPool pool;
    private float[] x;
    private float[] y;

    @Setup(Level.Trial)
    public void setup() {
        String[] nk = shape.split("x");
        int n = Integer.parseInt(nk[0]);
        int k = Integer.parseInt(nk[1]);
        DType type = DType.valueOf(dtype);
        k = BenchWeights.roundUpToBlocks(type, k);
        Random rnd = new Random(1);
        float[] wf = new float[n * k];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) rnd.nextGaussian() * 0.02f;
        MemorySegment bytes = BenchWeights.encode(type, wf, n, k);
        w = PackedWeights.pack(type, bytes, 0, n, k);
        x = new float[k];
        for (int i = 0; i < k; i++) x[i] = (float) rnd.nextGaussian();
        y = new float[n];
        pool = new WorkerPool(threads);
        bytesPerCall = (double) type.bytesFor((long) n * k);
        flopPerCall = 2.0 * n * k;
        System.out.printf("%n[bench] %s %s: %.2f MB of weights per call%n", dtype, shape, bytesPerCall / 1e6);
    }

    double bytesPerCall;
    double flopPerCall;

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] gemv(Traffic traffic) {
        w.matmul(x, 0, y, 0, 1, pool);
        traffic.gb += bytesPerCall / 1e9;
        traffic.gflop += flopPerCall / 1e9;
        return y;
    }
}
