package dev.slmops.tensor.bench;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.matmul.ActivationRounding;
import dev.slmops.tensor.matmul.PackedWeights;
import dev.slmops.tensor.parallel.WorkerPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * What rounding the activations as ggml does ({@link ActivationRounding}) costs a prefill matmul: {@code round}
 * rounds x[M, K] alone; {@code matmul} is the whole y[M, N] = x'[M, K] . W^T of that weight type (which includes the
 * rounding; compare it with a run under {@code -jvmArgsAppend -Dslmops.exactActivations=true}). One thread.
 * Run: {@code scripts/bench-tensor.sh ActivationRoundingBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30"})
public class ActivationRoundingBenchmark {
    @Param({"Q8_0", "Q4_1", "Q4_K", "F16"})
    public String weights;
    /** "MxNxK". */
    @Param({"128x576x576"})
    public String shape;

    private ActivationRounding rounding;
    private PackedWeights w;
    private WorkerPool pool;
    private float[] x, xr, y;
    private int m, k;

    @Setup
    public void setup() {
        String[] mnk = shape.split("x");
        m = Integer.parseInt(mnk[0]);
        int n = Integer.parseInt(mnk[1]);
        DType type = DType.valueOf(weights);
        k = BenchWeights.roundUpToBlocks(type, Integer.parseInt(mnk[2]));
        rounding = ActivationRounding.forWeights(type);
        Random rnd = new Random(1);
        float[] wf = new float[n * k];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) rnd.nextGaussian() * 0.02f;
        w = PackedWeights.pack(type, BenchWeights.encode(type, wf, n, k), 0, n, k);
        x = new float[m * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        xr = new float[m * k];
        y = new float[m * n];
        pool = new WorkerPool(1);
    }

    @TearDown
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] round() {
        rounding.round(x, 0, m, k, xr, 0);
        return xr;
    }

    @Benchmark
    public float[] matmul() {
        w.matmul(x, 0, y, 0, m, pool);
        return y;
    }
}
