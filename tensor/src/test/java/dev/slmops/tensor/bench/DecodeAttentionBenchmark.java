package dev.slmops.tensor.bench;

import dev.slmops.tensor.ops.Attention;
import dev.slmops.tensor.ops.PagedAttention;
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
 * Decode attention of one layer for one sequence ({@link PagedAttention#attendDecode}): one query row over
 * {@code keys} cached positions in pages of 256 rows, F32 or F16 cache, with smollm2-135m's heads (9 query, 3 KV,
 * head dim 64) or qwen2.5-0.5b's (14, 2, 64). Score: microseconds per layer (a decode step runs one per layer).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30"})
public class DecodeAttentionBenchmark {
    @Param({"smollm2", "qwen2.5"})
    public String heads;
    @Param({"64", "512"})
    public int keys;
    @Param({"f32", "f16"})
    public String cache;
    @Param({"1", "2"})
    public int threads;

    private static final int HD = 64, PAGE = 256;
    private WorkerPool pool;
    private Attention.Params p;
    private float[] q, out;
    private float[][][] kPages, vPages;
    private short[][][] kHalf, vHalf;
    private final int[] zero = {0}, pageRows = {PAGE};
    private int[] lastPosition;

    @Setup(Level.Trial)
    public void setup() {
        int h = heads.equals("smollm2") ? 9 : 14, g = heads.equals("smollm2") ? 3 : 2, row = g * HD;
        p = Attention.Params.of(h, g, HD);
        Random rnd = new Random(1);
        q = gaussian(rnd, h * HD);
        out = new float[h * HD];
        int pages = (keys + PAGE - 1) / PAGE;
        float[][] k = new float[pages][], v = new float[pages][];
        short[][] k16 = new short[pages][], v16 = new short[pages][];
        for (int pg = 0; pg < pages; pg++) {
            k[pg] = gaussian(rnd, PAGE * row);
            v[pg] = gaussian(rnd, PAGE * row);
            k16[pg] = halves(k[pg]);
            v16[pg] = halves(v[pg]);
        }
        if (cache.equals("f32")) {
            kPages = new float[][][] {k};
            vPages = new float[][][] {v};
        } else {
            kHalf = new short[][][] {k16};
            vHalf = new short[][][] {v16};
        }
        lastPosition = new int[] {keys - 1};
        pool = new WorkerPool(threads);
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    private static short[] halves(float[] x) {
        short[] h = new short[x.length];
        for (int i = 0; i < x.length; i++) h[i] = Float.floatToFloat16(x[i]);
        return h;
    }

    @TearDown(Level.Trial)
    public void close() {
        pool.close();
    }

    @Benchmark
    public float layer() {
        PagedAttention.attendDecode(p, q, zero, lastPosition, kPages, vPages, kHalf, vHalf, pageRows, out, zero, 1, pool);
        return out[0];
    }
}
