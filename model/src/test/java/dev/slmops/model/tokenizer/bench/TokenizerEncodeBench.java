package dev.slmops.model.tokenizer.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.model.tokenizer.Tokenizers;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Encode throughput on one thread: ours against Hugging Face's Rust tokenizers (through DJL) on the same
 * text, {@link BenchText#documents()} (about 4 MB of mixed prose, code, many scripts, emoji, numbers),
 * encoded document by document (4 KiB each, in turn) without special-token wrapping. One operation
 * encodes one document; {@link TokenizerBenchMain} turns operations per second into MB/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TokenizerEncodeBench {

    @Param({"qwen3", "llama3"})
    public String model;

    private List<String> docs;
    private Tokenizer ours;
    private HuggingFaceTokenizer rust;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path json = BenchText.tokenizerJson(model);
        docs = BenchText.documents();
        ours = Tokenizers.fromHfFiles(json, json.resolveSibling("tokenizer_config.json"));
        rust = HuggingFaceTokenizer.newInstance(json, Map.of("truncation", "false", "padding", "false"));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rust.close();
    }

    private int next;

    private String nextDocument() {
        String d = docs.get(next);
        next = next + 1 == docs.size() ? 0 : next + 1;
        return d;
    }

    @Benchmark
    public int[] ours() {
        return ours.encode(nextDocument(), false);
    }

    @Benchmark
    public long[] rust() {
        return rust.encode(nextDocument(), false, false).getIds();
    }
}
