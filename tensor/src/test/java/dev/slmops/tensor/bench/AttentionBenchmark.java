package dev.slmops.tensor.bench;

import dev.slmops.tensor.ops.Attention;
import dev.slmops.tensor.ops.AttentionBackward;
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
 * Causal self-attention of one layer over T = 512 prompt rows, forward ({@link Attention#attend}, prefill) and
 * backward ({@link AttentionBackward#backward}), with smollm2-135m's heads (9 query, 3 KV, head dim 64) or
 * qwen2.5-0.5b's (14, 2, 64). Score: layers per second. The "[cpu]" lines give GFLOPS per CPU-second counting the
 * causal flops only: forward 4 hd H T(T+1)/2 (q.k and p.v per visible pair), backward 2.5x that (five products per
 * pair, the recomputed q.k included). The masked work a blocked kernel also does is not credited.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30"})
public class AttentionBenchmark {
    @Param({"forward", "backward"})
    public String pass;
    @Param({"smollm2", "qwen2.5"})
    public String heads;
    @Param({"1", "2"})
    public int threads;

    private static final int T = 512, HD = 64;
    private WorkerPool pool;
    private Attention.Params p;
    private float[] q, k, v, dOut, out, dq, dk, dv;
    private double gflopPerCall;
    private final CpuGflops cpu = new CpuGflops();

    @Setup(Level.Trial)
    public void setup() {
        int h = heads.equals("smollm2") ? 9 : 14, g = heads.equals("smollm2") ? 3 : 2;
        p = Attention.Params.of(h, g, HD);
        Random rnd = new Random(1);
        q = gaussian(rnd, T * h * HD);
        dOut = gaussian(rnd, T * h * HD);
        k = gaussian(rnd, T * g * HD);
        v = gaussian(rnd, T * g * HD);
        out = new float[q.length];
        dq = new float[q.length];
        dk = new float[k.length];
        dv = new float[v.length];
        pool = new WorkerPool(threads);
        gflopPerCall = (pass.equals("forward") ? 1 : 2.5) * 4.0 * HD * h * (T * (T + 1) / 2.0) / 1e9;
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        cpu.start();
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        cpu.report("attention " + pass + " " + heads + " threads=" + threads);
    }

    @TearDown(Level.Trial)
    public void close() {
        pool.close();
    }

    @Benchmark
    public float layer() {
        if (pass.equals("forward")) {
            Attention.attend(p, q, 0, T, 0, k, v, 0, T, out, 0, pool);
        } else {
            AttentionBackward.backward(p, 0, T, q, k, v, dOut, dq, dk, dv, pool);
        }
        cpu.add(gflopPerCall);
        return out[0] + dq[0];
    }
}
