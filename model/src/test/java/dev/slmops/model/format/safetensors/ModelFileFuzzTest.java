package dev.slmops.model.format.safetensors;

import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.hf.HfConfig;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.fuzz.FuzzLoop;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated safetensors files, config.json and index.json files must be accepted or rejected with a
 * {@link ModelFileException}: never an IndexOutOfBounds, NegativeArraySize, OutOfMemoryError, ArithmeticException
 * or a hang. The default run is a slice of a few thousand inputs; {@code -Pslow} runs 100,000 per reader.
 */
class ModelFileFuzzTest {
    private static final Set<Class<? extends Throwable>> ALLOWED = Set.of(ModelFileException.class);
    private static final Duration PER_INPUT = Duration.ofSeconds(5);

    static List<byte[]> safetensorsSeeds() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        for (String f : List.of("ref_mixed", "ref_nometa", "bad_gap", "bad_overlap", "bad_trailing", "bad_not_utf8",
                "bad_shape_overflow", "bad_duplicate_name")) {
            seeds.add(Files.readAllBytes(Goldens.file(f + ".safetensors")));
        }
        seeds.add(HandMade.file("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]},\"__metadata__\":{\"format\":\"pt\"}}", 8));
        return seeds;
    }

    /** Reads everything a caller would: names, shapes, and the first and last byte of each tensor. */
    private static void readAll(SafetensorsFile f) throws ModelFileException {
        for (StoredTensor t : f.tensors()) {
            assertThat(t.byteSize()).isEqualTo(t.dtype().bytesFor(t.elementCount()));
            if (t.byteSize() > 0) {
                t.data().get(ValueLayout.JAVA_BYTE, 0);
                t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
            }
            f.tensor(t.name());
        }
        f.metadata().forEach((k, v) -> { });
    }

    private static FuzzLoop.Report fuzzSafetensorsFromFiles(Path dir, int iterations, long seed) throws Exception {
        Path file = dir.resolve("fuzz.safetensors");
        return FuzzLoop.run("safetensors-file", safetensorsSeeds(), iterations, seed, PER_INPUT, input -> {
            Files.write(file, input);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                readAll(f);
            }
        }, ALLOWED);
    }

    private static FuzzLoop.Report fuzzSafetensorsFromMemory(int iterations, long seed) throws Exception {
        return FuzzLoop.run("safetensors-memory", safetensorsSeeds(), iterations, seed, PER_INPUT, input -> {
            try (SafetensorsFile f = SafetensorsFile.parse(MemorySegment.ofArray(input), "fuzz input")) {
                readAll(f);
            }
        }, ALLOWED);
    }

    static List<byte[]> configSeeds() {
        return List.of("""
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
                 "intermediate_size": 176, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
                 "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
                 "max_position_embeddings": 131072, "vocab_size": 128, "tie_word_embeddings": true,
                 "torch_dtype": "bfloat16", "bos_token_id": 1, "eos_token_id": [2, 3]}""".getBytes(StandardCharsets.UTF_8),
                """
                {"model_type": "phi3", "hidden_size": 96, "num_hidden_layers": 1, "num_attention_heads": 3,
                 "vocab_size": 10, "partial_rotary_factor": 0.75, "sliding_window": 2047, "head_dim": 32,
                 "rope_scaling": {"type": "longrope", "long_factor": [1.0, 2.5], "short_factor": [1, 1]},
                 "layer_types": ["sliding_attention", "full_attention"],
                 "rope_parameters": {"rope_type": "yarn", "rope_theta": 1e6, "factor": 4}}""".getBytes(StandardCharsets.UTF_8));
    }

    private static FuzzLoop.Report fuzzConfig(int iterations, long seed) {
        return FuzzLoop.run("config-json", configSeeds(), iterations, seed, PER_INPUT,
                input -> HfConfig.parse(input, "fuzz-model-dir"), ALLOWED);
    }

    /** Index mutants are opened for real against two shards on disk (missing shards, missing tensors ...). */
    private static FuzzLoop.Report fuzzIndex(Path dir, int iterations, long seed) throws Exception {
        float[] v = new float[8];
        ShardedSafetensorsWriter.write(dir, List.of(
                TensorToWrite.ofFloats("a", new long[]{8}, v, DType.F32),
                TensorToWrite.ofFloats("b", new long[]{2, 4}, v, DType.BF16),
                TensorToWrite.ofFloats("c", new long[]{8}, v, DType.F16)), 40);
        Path index = dir.resolve(SafetensorsIndex.FILE_NAME);
        List<byte[]> seeds = List.of(Files.readAllBytes(index),
                "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\"}}".getBytes(StandardCharsets.UTF_8));
        return FuzzLoop.run("index-json", seeds, iterations, seed, PER_INPUT, input -> {
            SafetensorsIndex.parse(input, "fuzz index");
            Files.write(index, input);
            try (SafetensorsShards s = SafetensorsShards.openIndex(index)) {
                for (String n : s.names()) s.tensor(n);
            }
        }, ALLOWED);
    }

    @Test
    void safetensorsReaderSurvivesMutants(@TempDir Path dir) throws Exception {
        FuzzLoop.Report r = fuzzSafetensorsFromFiles(dir, 3_000, 1);
        System.out.println("safetensors (files): " + r);
        assertThat(r.rejected()).isPositive();
        assertThat(r.accepted()).isPositive();
    }

    @Test
    void configAndIndexParsersSurviveMutants(@TempDir Path dir) throws Exception {
        FuzzLoop.Report c = fuzzConfig(3_000, 2);
        FuzzLoop.Report i = fuzzIndex(dir, 1_500, 3);
        System.out.println("config.json: " + c + "\nindex.json: " + i);
        assertThat(c.rejected()).isPositive();
        assertThat(i.rejected()).isPositive();
    }

    @Test
    @Tag("slow")
    void safetensorsReaderSurvives100kMutants(@TempDir Path dir) throws Exception {
        System.out.println("safetensors (memory, slow): " + fuzzSafetensorsFromMemory(100_000, 11));
        System.out.println("safetensors (files, slow): " + fuzzSafetensorsFromFiles(dir, 100_000, 12));
    }

    @Test
    @Tag("slow")
    void configAndIndexParsersSurvive100kMutants(@TempDir Path dir) throws Exception {
        System.out.println("config.json (slow): " + fuzzConfig(100_000, 21));
        System.out.println("index.json (slow): " + fuzzIndex(dir, 100_000, 22));
    }
}
