package dev.slmops.tensor.bench;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Quantize;
import dev.slmops.testkit.ggml.GgmlQuants;
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
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Quantizer throughput, ours ({@link Quantize#rows}) against ggml's {@code ggml_quantize_chunk} (libggml-base through
 * FFM; its time includes copying the input in and the output out, ~1 ms per 4 MB) on the same rows, one thread.
 * MB/s = 4.19 MB (the F32 input, {@link #COLS} × {@link #ROWS} floats) / time per call.
 * Run: {@code scripts/bench-tensor.sh QuantizeBenchmark -p type=Q4_K}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30", "--enable-native-access=ALL-UNNAMED"})
public class QuantizeBenchmark {
    static final int COLS = 2048, ROWS = 512; // 1 Mi values: 4 MiB of F32

    @Param({"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;
    @Param({"false", "true"})
    public boolean imatrix;

    private DType t;
    private float[] x;
    private float[] importance;
    private MemorySegment out;

    @Setup
    public void setup() {
        t = DType.valueOf(type);
        Random r = new Random(1);
        x = new float[COLS * ROWS];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 0.02f;
        importance = null;
        if (imatrix) {
            importance = new float[COLS];
            for (int i = 0; i < COLS; i++) importance[i] = (float) Math.exp(r.nextGaussian());
        }
        out = MemorySegment.ofArray(new byte[Math.toIntExact(t.bytesFor(x.length))]);
    }

    @Benchmark
    public MemorySegment ours() {
        Quantize.rows(t, x, 0, ROWS, COLS, importance, out, 0);
        return out;
    }

    @Benchmark
    public byte[] ggml() {
        return GgmlQuants.quantize(t.ggmlType, x, ROWS, COLS, importance);
    }
}
