package dev.slmops.model.lora.bench;

import dev.slmops.model.engine.KvCache;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.tensor.DType;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What an unmerged LoRA adapter (r=16 on all seven projections) costs the engine on the smollm2-135m shape (F16
 * weights, 2 threads): one decode step at position 128, and a 128-token prefill, with and without the adapter.
 * Run: {@code java ... org.openjdk.jmh.Main LoraForwardBench} on the model module's test classpath (see
 * scripts/bench-tokenizer.sh for the classpath).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:MaxInlineLevel=30", "--enable-native-access=ALL-UNNAMED"})
public class LoraForwardBench {
    @Param({"false", "true"})
    boolean lora;

    Path dir;
    LoadedModel model;
    LoraAdapter adapter;
    KvCache cache;
    int[] prompt;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("lora-bench");
        Path hf = TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig("smollm2-135m"), DType.F16, 1, 0),
                null, dir.resolve("m"), false);
        model = LoadedModel.load(hf, new LoadedModel.Options(512, 2));
        adapter = lora ? LoraAdapter.init("b", model.config(), List.of("all-linear"), 16, 32, false, 1, 0.01) : null;
        prompt = new int[128];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 100 + i;
        cache = model.newCache();
        model.transformer().forward(cache, prompt, false, adapter);
    }

    @Benchmark
    public float[] decodeStep() {
        cache.truncate(prompt.length);
        return model.transformer().forward(cache, new int[] {42}, false, adapter);
    }

    @Benchmark
    public float[] prefill128() {
        return model.transformer().forward(model.newCache(), prompt, false, adapter);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        model.close();
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
