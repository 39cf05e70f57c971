package dev.slmops.train.bench;

import dev.slmops.train.Parameters;
import dev.slmops.train.optim.AdamW;
import dev.slmops.train.optim.GradClip;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One AdamW step (vector and scalar reference) and the global gradient norm over P parameters. AdamW moves 28 bytes
 * per parameter (reads p, g, m, v; writes p, m, v), the norm 4: P x bytes / time is the bandwidth they reach, to
 * compare with ~31 GB/s (one core) measured on this machine. P = 135M (smollm2 full fine-tuning) is the case that
 * matters; 4.4M is LoRA r=16 on all seven projections of smollm2-135m.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30", "-Xmx6g"})
public class OptimizerBenchmark {
    @Param({"4400000", "134515008"})
    public int parameters;

    private Parameters params;
    private AdamW adamW;
    private dev.slmops.tensor.parallel.WorkerPool pool;

    @Setup(Level.Trial)
    public void setup() {
        Random r = new Random(1);
        float[] v = new float[parameters], g = new float[parameters];
        for (int i = 0; i < parameters; i++) {
            v[i] = (float) r.nextGaussian() * 0.02f;
            g[i] = (float) r.nextGaussian() * 1e-3f;
        }
        params = new Parameters(v, g, List.of(new Parameters.Entry("all", new int[]{parameters}, 0, parameters, true)));
        adamW = new AdamW(new AdamW.Config(0.9, 0.999, 1e-8, 0.01), parameters);
        pool = new dev.slmops.tensor.parallel.WorkerPool(2);
    }

    @org.openjdk.jmh.annotations.TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public void adamWStepTwoThreads() {
        adamW.step(params, 1e-4, pool);
    }

    @Benchmark
    public void adamWStep() {
        adamW.step(params, 1e-4);
    }

    @Benchmark
    public void adamWStepReference() {
        adamW.stepReference(params, 1e-4);
    }

    @Benchmark
    public double gradNorm() {
        return GradClip.globalNorm(params.grads());
    }
}
