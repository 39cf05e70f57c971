package dev.slmops.workflows.bench;

import dev.slmops.model.load.LoadedModel;
import dev.slmops.workflows.quantize.QuantType;
import dev.slmops.workflows.quantize.Quantizer;
import dev.slmops.workflows.quantize.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What {@code slmops bench} says of its model: the type it reports, and a model too short for the tests. The type: a quantized GGUF by its file type, as llama-bench names it (a Q4_K_M file
 * holds Q4_K, Q6_K and fallback types, and was reported by whichever held the most bytes), other models by the type
 * most of their weight bytes are stored in.
 */
class BenchmarkModelTypeTest {
    @Test
    void aQuantizedGgufIsNamedByItsFileTypeAnHfDirectoryByItsWeights(@TempDir Path tmp) throws Exception {
        Path f32 = TinyModels.llamaF32(tmp, "t", 256, 256, 1, 4, 2, false);
        Path q4km = tmp.resolve("t-q4_k_m.gguf");
        Quantizer.quantize(new Quantizer.Options(f32, QuantType.Q4_K_M, q4km, false, null, false, 1),
                Quantizer.Listener.SILENT);
        try (LoadedModel m = LoadedModel.load(q4km, new LoadedModel.Options(32, 1))) {
            assertThat(Benchmark.modelType(m)).isEqualTo("Q4_K_M");
        }
        try (LoadedModel m = LoadedModel.load(f32, new LoadedModel.Options(32, 1))) {
            assertThat(Benchmark.modelType(m)).isEqualTo("F32"); // general.file_type 0
        }
        try (LoadedModel m = LoadedModel.load(tmp.resolve("t-hf"), new LoadedModel.Options(32, 1))) {
            assertThat(Benchmark.modelType(m)).isEqualTo("F32");
        }
    }

    @Test
    void testsLongerThanTheModelsContextAreToldInTheBenchmarksTerms(@TempDir Path tmp) throws Exception {
        Path f32 = TinyModels.llamaF32(tmp, "t", 64, 64, 1, 4, 2, false); // tiny-llama: a 256-token context
        assertThatThrownBy(() -> Benchmark.run(new Benchmark.Options(f32, 512, 128, 1, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("-p 512 and -n 128 need a context of 656 tokens (prompt + generated + 16), more than this"
                        + " model's 256: use a smaller -p or -n (together at most 240)");
    }
}
