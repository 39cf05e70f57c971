package dev.slmops.tensor.bench;

import dev.slmops.tensor.matmul.Gemm;
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
 * The F32 training GEMM ({@link Gemm}) in the three forms of a training step, on the smollm2-135m shapes at 512
 * tokens and the qwen2.5-0.5b ones: form "abT" y[T, out] = x[T, in] W^T, "ab" dx[T, in] = dy[T, out] W,
 * "aTb" dW[out, in] = dy^T x. Shape "TxOUTxIN". Score: calls/s; the "[cpu]" lines printed per iteration give GFLOPS
 * per CPU-second ({@link CpuGflops}), the figure to trust on a busy machine. Compare with the FP32 peak (AVX2 Zen 3:
 * 32 flops per cycle per core, ~96 GFLOPS at 3 GHz).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30"})
public class TrainGemmBenchmark {
    @Param({"abT", "ab", "aTb"})
    public String form;
    @Param({"512x576x576", "512x1536x576", "512x576x1536", "512x896x896", "512x4864x896", "512x896x4864"})
    public String shape;
    @Param({"1", "2"})
    public int threads;

    private WorkerPool pool;
    private float[] x, w, y;
    private int t, out, in;
    private final CpuGflops cpu = new CpuGflops();

    @Setup(Level.Trial)
    public void setup() {
        String[] s = shape.split("x");
        t = Integer.parseInt(s[0]);
        out = Integer.parseInt(s[1]);
        in = Integer.parseInt(s[2]);
        Random rnd = new Random(1);
        x = new float[t * Math.max(in, out)];
        w = new float[out * in];
        y = new float[Math.max(t * Math.max(in, out), out * in)];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.02f;
        pool = new WorkerPool(threads);
        System.out.printf("%n[bench] %s %s: %.3f GFLOP per call%n", form, shape, 2.0 * t * out * in / 1e9);
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        cpu.start();
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        cpu.report(form + " " + shape + " threads=" + threads);
    }

    @TearDown(Level.Trial)
    public void close() {
        pool.close();
    }

    @Benchmark
    public float gemm() {
        switch (form) {
            case "abT" -> Gemm.abT(t, out, in, x, 0, in, w, 0, in, y, 0, out, false, pool);          // x[T,in] W[out,in]^T
            case "ab" -> Gemm.ab(t, in, out, x, 0, out, w, 0, in, y, 0, in, true, pool);             // dy[T,out] W[out,in]
            case "aTb" -> Gemm.aTb(out, in, t, x, 0, out, x, 0, in, y, 0, in, true, pool);           // dy[T,out]^T x[T,in]
            default -> throw new IllegalArgumentException(form);
        }
        cpu.add(2.0 * t * out * in / 1e9);
        return y[0];
    }
}
