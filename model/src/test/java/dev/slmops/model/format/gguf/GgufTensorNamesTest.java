package dev.slmops.model.format.gguf;

import dev.slmops.model.arch.Arch;
import dev.slmops.model.format.gguf.GgufTensorNames.Transform;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GgufTensorNamesTest {

    private static String gguf(Arch a, String hf) {
        return GgufTensorNames.toGguf(a, hf).orElseThrow(() -> new AssertionError("no GGUF name for " + hf)).name();
    }

    private static String hf(Arch a, String gguf) {
        return GgufTensorNames.toHf(a, gguf).orElseThrow(() -> new AssertionError("no HF name for " + gguf)).name();
    }

    @Test
    void llamaNamesBothWays() {
        Map<String, String> expected = Map.ofEntries(
                Map.entry("model.embed_tokens.weight", "token_embd.weight"),
                Map.entry("model.norm.weight", "output_norm.weight"),
                Map.entry("lm_head.weight", "output.weight"),
                Map.entry("model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight"),
                Map.entry("model.layers.12.self_attn.q_proj.weight", "blk.12.attn_q.weight"),
                Map.entry("model.layers.12.self_attn.k_proj.weight", "blk.12.attn_k.weight"),
                Map.entry("model.layers.12.self_attn.v_proj.weight", "blk.12.attn_v.weight"),
                Map.entry("model.layers.12.self_attn.o_proj.weight", "blk.12.attn_output.weight"),
                Map.entry("model.layers.3.post_attention_layernorm.weight", "blk.3.ffn_norm.weight"),
                Map.entry("model.layers.3.mlp.gate_proj.weight", "blk.3.ffn_gate.weight"),
                Map.entry("model.layers.3.mlp.up_proj.weight", "blk.3.ffn_up.weight"),
                Map.entry("model.layers.3.mlp.down_proj.weight", "blk.3.ffn_down.weight"));
        expected.forEach((h, g) -> {
            assertThat(gguf(Arch.LLAMA, h)).isEqualTo(g);
            assertThat(hf(Arch.LLAMA, g)).isEqualTo(h);
        });
        assertThat(GgufTensorNames.toGguf(Arch.LLAMA, "model.layers.0.self_attn.q_proj.weight").orElseThrow().mapping().transform())
                .isEqualTo(Transform.PERMUTE_Q);
        assertThat(GgufTensorNames.toGguf(Arch.LLAMA, "model.layers.0.self_attn.k_proj.weight").orElseThrow().mapping().transform())
                .isEqualTo(Transform.PERMUTE_K);
        assertThat(GgufTensorNames.toGguf(Arch.LLAMA, "model.layers.7.self_attn.k_proj.weight").orElseThrow().layer()).isEqualTo(7);
        assertThat(GgufTensorNames.isGenerated(Arch.LLAMA, "rope_freqs.weight")).isTrue();
        assertThat(GgufTensorNames.toGguf(Arch.LLAMA, "model.layers.x.mlp.up_proj.weight")).isEmpty();
        assertThat(GgufTensorNames.toGguf(Arch.LLAMA, "model.layers.01.mlp.up_proj.weight")).isEmpty();
        assertThat(GgufTensorNames.toGguf(Arch.LLAMA, "model.rotary_emb.inv_freq")).isEmpty();
    }

    @Test
    void qwenBiasesAndNorms() {
        assertThat(gguf(Arch.QWEN2, "model.layers.1.self_attn.q_proj.bias")).isEqualTo("blk.1.attn_q.bias");
        assertThat(gguf(Arch.QWEN2, "model.layers.1.self_attn.v_proj.bias")).isEqualTo("blk.1.attn_v.bias");
        assertThat(GgufTensorNames.toGguf(Arch.QWEN2, "model.layers.1.self_attn.q_proj.weight").orElseThrow().mapping().transform())
                .as("only arch llama permutes q/k").isEqualTo(Transform.NONE);
        assertThat(gguf(Arch.QWEN3, "model.layers.2.self_attn.q_norm.weight")).isEqualTo("blk.2.attn_q_norm.weight");
        assertThat(hf(Arch.QWEN3, "blk.2.attn_k_norm.weight")).isEqualTo("model.layers.2.self_attn.k_norm.weight");
        assertThat(GgufTensorNames.toGguf(Arch.QWEN2, "model.layers.2.self_attn.q_norm.weight")).isEmpty();
    }

    @Test
    void phi3FusedProjections() {
        assertThat(gguf(Arch.PHI3, "model.layers.0.self_attn.qkv_proj.weight")).isEqualTo("blk.0.attn_qkv.weight");
        assertThat(gguf(Arch.PHI3, "model.layers.0.mlp.gate_up_proj.weight")).isEqualTo("blk.0.ffn_up.weight");
        assertThat(hf(Arch.PHI3, "blk.0.ffn_up.weight")).isEqualTo("model.layers.0.mlp.gate_up_proj.weight");
        assertThat(GgufTensorNames.toGguf(Arch.PHI3, "model.layers.0.self_attn.q_proj.weight")).isEmpty();
        assertThat(GgufTensorNames.isGenerated(Arch.PHI3, "rope_factors_long.weight")).isTrue();
        assertThat(GgufTensorNames.isGenerated(Arch.PHI3, "rope_factors_short.weight")).isTrue();
    }

    @Test
    void gemma3SandwichNormsAddOne() {
        assertThat(gguf(Arch.GEMMA3, "model.layers.5.post_attention_layernorm.weight")).isEqualTo("blk.5.post_attention_norm.weight");
        assertThat(gguf(Arch.GEMMA3, "model.layers.5.pre_feedforward_layernorm.weight")).isEqualTo("blk.5.ffn_norm.weight");
        assertThat(gguf(Arch.GEMMA3, "model.layers.5.post_feedforward_layernorm.weight")).isEqualTo("blk.5.post_ffw_norm.weight");
        assertThat(gguf(Arch.GEMMA3, "language_model.model.layers.5.self_attn.q_norm.weight")).isEqualTo("blk.5.attn_q_norm.weight");
        for (GgufTensorNames.Mapping m : GgufTensorNames.table(Arch.GEMMA3)) {
            boolean norm = m.gguf().endsWith("norm");
            assertThat(m.transform()).as(m.gguf()).isEqualTo(norm ? Transform.ADD_ONE : Transform.NONE);
        }
    }

    @Test
    void everyTableIsABijection() {
        for (Arch a : Arch.values()) {
            List<GgufTensorNames.Mapping> t = GgufTensorNames.table(a);
            assertThat(t.stream().map(GgufTensorNames.Mapping::gguf).distinct().count()).as(a + " gguf names").isEqualTo(t.size());
            assertThat(t.stream().filter(m -> m.hf() != null).map(GgufTensorNames.Mapping::hf).distinct().count())
                    .isEqualTo(t.stream().filter(m -> m.hf() != null).count());
            for (GgufTensorNames.Mapping m : t) {
                if (m.hf() == null) continue;
                String h = m.hf().replace("{N}", "4") + ".weight";
                assertThat(hf(a, gguf(a, h))).isEqualTo(h);
            }
        }
    }

    @Test
    void coversEveryTensorOfLlamaCppsConverterOutput() throws Exception {
        try (GgufFile f = GgufFile.open(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"))) {
            for (var t : f.tensors()) {
                String h = hf(Arch.LLAMA, t.name());
                assertThat(gguf(Arch.LLAMA, h)).isEqualTo(t.name());
            }
        }
    }
}
