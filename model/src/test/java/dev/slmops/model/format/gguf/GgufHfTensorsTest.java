package dev.slmops.model.format.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.arch.Arch;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.hf.HfConfig;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** HF weights → GGUF (the converter's direction) → HF view (the loader's direction) gives the HF weights back. */
class GgufHfTensorsTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"LLAMA, none", "LLAMA, bias", "QWEN2, none", "QWEN3, none", "PHI3, none", "GEMMA3, none"})
    void convertingAndViewingBackIsTheIdentity(Arch arch, String variant) throws Exception {
        JsonNode json = new ObjectMapper().readTree(HfToGgufLlamaCppParityTest.config(arch, variant));
        ModelConfig c = ModelConfig.fromHf(HfConfig.fromJson(json, "config.json"));
        Map<String, StoredTensor> hf = HfToGgufLlamaCppParityTest.randomHfWeights(c, 3);
        Path p = dir.resolve(arch + ".gguf");
        HfToGgufLlamaCppParityTest.convert(arch, json, c, hf, p);
        try (GgufFile f = GgufFile.open(p); GgufHfTensors view = new GgufHfTensors(f)) {
            assertThat(view.arch()).isEqualTo(arch);
            assertThat(view.hfNames()).containsExactlyInAnyOrderElementsOf(hf.keySet());
            for (StoredTensor want : hf.values()) {
                StoredTensor got = view.find(want.name()).orElseThrow();
                assertThat(got.shape()).as(want.name()).isEqualTo(want.shape());
                assertThat(got.dtype()).isEqualTo(DType.F32);
                for (long i = 0; i < want.elementCount(); i++) {
                    float w = FloatConversions.read(DType.F32, want.data(), i), g = FloatConversions.read(DType.F32, got.data(), i);
                    // Gemma norms pass through (1 + w) - 1 in float: equal to within an ulp of 1
                    if (arch == Arch.GEMMA3 && want.name().endsWith("norm.weight")) assertThat(g).isCloseTo(w, org.assertj.core.data.Offset.offset(2.4e-7f));
                    else assertThat(g).as(want.name() + "[" + i + "]").isEqualTo(w);
                }
            }
            assertThat(view.find("model.layers.99.mlp.up_proj.weight")).isEmpty();
        }
    }
}
