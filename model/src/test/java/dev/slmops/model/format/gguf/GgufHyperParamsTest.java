package dev.slmops.model.format.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.arch.Arch;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufHyperParamsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void matchesWhatLlamaCppsConverterWroteForTheTinyLlama() throws Exception {
        // the config.json llama-2-tiny-random.gguf was converted from (values from its metadata and tensor shapes)
        JsonNode config = json("""
                {"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":8,"intermediate_size":32,
                 "num_attention_heads":2,"num_hidden_layers":1,"num_key_value_heads":2,"max_position_embeddings":4096,
                 "rms_norm_eps":1e-05,"vocab_size":32000}""");
        Map<String, GgufHyperParams.Value> ours = GgufHyperParams.fromHfConfig(Arch.LLAMA, config);
        try (GgufFile f = GgufFile.open(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"))) {
            int compared = 0;
            for (String key : f.metadata().keySet()) {
                if (!key.startsWith("llama.")) continue;
                assertThat(ours).as(key).containsKey(key);
                assertThat(ours.get(key).value()).as(key).isEqualTo(f.metadata().get(key));
                assertThat(ours.get(key).type()).as(key).isEqualTo(f.metadataType(key));
                compared++;
            }
            assertThat(compared).isEqualTo(8);
        }
    }

    @Test
    void qwen3Phi3AndGemma3Keys() throws Exception {
        var q = GgufHyperParams.fromHfConfig(Arch.QWEN3, json("""
                {"hidden_size":1024,"intermediate_size":3072,"num_attention_heads":16,"num_key_value_heads":8,"head_dim":128,
                 "num_hidden_layers":28,"max_position_embeddings":40960,"rms_norm_eps":1e-6,"rope_theta":1000000,"vocab_size":151936}"""));
        assertThat(q.get("qwen3.attention.key_length").value()).isEqualTo(128L);
        assertThat(q.get("qwen3.attention.head_count_kv").value()).isEqualTo(8L);
        assertThat(q.get("qwen3.rope.freq_base").value()).isEqualTo(1e6f);
        assertThat(q).doesNotContainKey("qwen3.rope.dimension_count");

        var p = GgufHyperParams.fromHfConfig(Arch.PHI3, json("""
                {"hidden_size":3072,"intermediate_size":8192,"num_attention_heads":24,"num_key_value_heads":8,"num_hidden_layers":32,
                 "max_position_embeddings":131072,"original_max_position_embeddings":4096,"rms_norm_eps":1e-5,
                 "rope_theta":10000.0,"partial_rotary_factor":0.75,"sliding_window":262144,
                 "rope_scaling":{"type":"longrope","long_factor":[1],"short_factor":[1]}}"""));
        assertThat(p.get("phi3.rope.dimension_count").value()).isEqualTo(96L); // int(0.75*3072)/24
        assertThat(p.get("phi3.rope.scaling.original_context_length").value()).isEqualTo(4096L);
        assertThat(p.get("phi3.attention.sliding_window").value()).isEqualTo(262144L);
        assertThat((Float) p.get("phi3.rope.scaling.attn_factor").value())
                .isCloseTo((float) Math.sqrt(1 + Math.log(32) / Math.log(4096)), org.assertj.core.data.Offset.offset(1e-7f));

        var g = GgufHyperParams.fromHfConfig(Arch.GEMMA3, json("""
                {"hidden_size":640,"intermediate_size":2048,"num_hidden_layers":18,"sliding_window":512,
                 "rope_scaling":{"rope_type":"linear","factor":8.0}}"""));
        assertThat(g.get("gemma3.context_length").value()).isEqualTo(131072L);
        assertThat(g.get("gemma3.attention.head_count").value()).isEqualTo(8L);
        assertThat(g.get("gemma3.attention.head_count_kv").value()).isEqualTo(4L);
        assertThat(g.get("gemma3.attention.key_length").value()).isEqualTo(256L);
        assertThat(g.get("gemma3.rope.freq_base").value()).isEqualTo(1e6f);
        assertThat(g.get("gemma3.attention.sliding_window").value()).isEqualTo(512L);
        assertThat(g.get("gemma3.rope.scaling.type").value()).isEqualTo("linear");
        assertThat(g.get("gemma3.rope.scaling.factor").value()).isEqualTo(8f);
    }

    @Test
    void configToGgufToConfigKeepsTheDirectKeys() throws Exception {
        JsonNode config = json("""
                {"hidden_size":2048,"intermediate_size":8192,"num_attention_heads":32,"num_key_value_heads":8,"num_hidden_layers":16,
                 "max_position_embeddings":131072,"rms_norm_eps":1e-5,"rope_theta":500000.0,"vocab_size":128256,"head_dim":64}""");
        Map<String, Object> meta = new java.util.LinkedHashMap<>();
        GgufHyperParams.fromHfConfig(Arch.LLAMA, config).forEach((k, v) -> meta.put(k, v.value()));
        Map<String, Object> back = GgufHyperParams.toHfConfig(Arch.LLAMA, meta);
        assertThat(back).containsEntry("hidden_size", 2048L).containsEntry("num_key_value_heads", 8L)
                .containsEntry("vocab_size", 128256L).containsEntry("head_dim", 64L).containsEntry("rope_theta", 500000.0)
                .containsEntry("max_position_embeddings", 131072L);
        assertThat((Double) back.get("rms_norm_eps")).isEqualTo((double) 1e-5f);
    }

    @Test
    void missingRequiredKeyIsNamed() {
        assertThatThrownBy(() -> GgufHyperParams.fromHfConfig(Arch.QWEN2, json("{\"hidden_size\":8}")))
                .hasMessageContaining("config.json has no max_position_embeddings");
    }

    @Test
    void llama3RopeFactors() {
        // Llama 3.2: theta 500000, head_dim 64, factor 32, low 1, high 4, original context 8192
        float[] f = GgufRopeTensors.llama3Factors(64, 500000, 32, 1, 4, 8192);
        assertThat(f).hasSize(32);
        assertThat(f[0]).isEqualTo(1f);           // wavelength 2π: high frequency, unscaled
        assertThat(f[31]).isEqualTo(32f);         // wavelength ~1.5e6 > 8192: fully scaled
        // pair 16: freq = 500000^(-0.5) = 1/707.1; wavelength = 2π*707.1 = 4442.9, between 2048 and 8192:
        // smooth = (8192/4442.88 - 1)/3 = 0.28128; factor = 1/((1-0.28128)/32 + 0.28128) = 1/0.30374 = 3.2923
        assertThat((double) f[16]).isCloseTo(3.2923, org.assertj.core.data.Offset.offset(1e-3));
        for (int i = 1; i < f.length; i++) assertThat(f[i]).isGreaterThanOrEqualTo(f[i - 1]);
    }
}
