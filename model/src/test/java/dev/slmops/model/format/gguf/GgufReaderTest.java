package dev.slmops.model.format.gguf;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads a GGUF written by llama.cpp's own converter (not by us): every key, every tensor, shapes, bytes. */
class GgufReaderTest {

    private static final Path ASSET_NAME = Path.of("llama-2-tiny-random.gguf");

    @Test
    void readsEveryKeyOfLlamaCppsConverterOutput() throws Exception {
        try (GgufFile f = GgufFile.open(ProjectFiles.sharedAsset(ASSET_NAME.toString()))) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.alignment()).isEqualTo(32);
            assertThat(f.metadata().keySet()).containsExactly(
                    "general.architecture", "general.name", "llama.context_length", "llama.embedding_length",
                    "llama.block_count", "llama.feed_forward_length", "llama.rope.dimension_count",
                    "llama.attention.head_count", "llama.attention.head_count_kv",
                    "llama.attention.layer_norm_rms_epsilon", "general.file_type", "tokenizer.ggml.model",
                    "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
                    "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id");
            Map<String, Object> m = f.metadata();
            assertThat(f.architecture()).isEqualTo("llama");
            assertThat(m.get("general.name")).isEqualTo("LLaMA v2");
            assertThat(m.get("llama.context_length")).isEqualTo(4096L);
            assertThat(m.get("llama.embedding_length")).isEqualTo(8L);
            assertThat(m.get("llama.block_count")).isEqualTo(1L);
            assertThat(m.get("llama.feed_forward_length")).isEqualTo(32L);
            assertThat(m.get("llama.rope.dimension_count")).isEqualTo(4L);
            assertThat(m.get("llama.attention.head_count")).isEqualTo(2L);
            assertThat(m.get("llama.attention.head_count_kv")).isEqualTo(2L);
            assertThat(m.get("llama.attention.layer_norm_rms_epsilon")).isEqualTo(1e-5f);
            assertThat(m.get("general.file_type")).isEqualTo(1L); // MOSTLY_F16
            assertThat(m.get("tokenizer.ggml.model")).isEqualTo("llama");
            assertThat(m.get("tokenizer.ggml.bos_token_id")).isEqualTo(1L);
            assertThat(m.get("tokenizer.ggml.eos_token_id")).isEqualTo(2L);
            assertThat(m.get("tokenizer.ggml.unknown_token_id")).isEqualTo(0L);
            assertThat(f.metadataType("llama.context_length")).isEqualTo(GgufType.UINT32);
            assertThat(f.metadataType("llama.attention.layer_norm_rms_epsilon")).isEqualTo(GgufType.FLOAT32);
            assertThat(f.metadataType("tokenizer.ggml.tokens")).isEqualTo(GgufType.arrayOf(GgufValueType.STRING));
            assertThat(f.metadataType("tokenizer.ggml.scores")).isEqualTo(GgufType.arrayOf(GgufValueType.FLOAT32));
            assertThat(f.metadataType("tokenizer.ggml.token_type")).isEqualTo(GgufType.arrayOf(GgufValueType.INT32));

            @SuppressWarnings("unchecked") List<String> tokens = (List<String>) m.get("tokenizer.ggml.tokens");
            @SuppressWarnings("unchecked") List<Long> types = (List<Long>) m.get("tokenizer.ggml.token_type");
            @SuppressWarnings("unchecked") List<Float> scores = (List<Float>) m.get("tokenizer.ggml.scores");
            assertThat(tokens).hasSize(32000);
            assertThat(scores).hasSize(32000);
            assertThat(types).hasSize(32000);
            assertThat(tokens.subList(0, 4)).containsExactly("<unk>", "<s>", "</s>", "<0x00>");
            assertThat(types.subList(0, 4)).containsExactly(2L, 3L, 3L, 6L); // unknown, control, control, byte
            // llama.cpp tokenizes "Once upon a time" as [9038, 2501, 263, 931] (assets/README.md)
            assertThat(List.of(tokens.get(9038), tokens.get(2501), tokens.get(263), tokens.get(931)))
                    .containsExactly("▁Once", "▁upon", "▁a", "▁time");
        }
    }

    @Test
    void tensorsAreMappedSlicesWithOutermostFirstShapes() throws Exception {
        Path asset = ProjectFiles.sharedAsset(ASSET_NAME.toString());
        try (GgufFile f = GgufFile.open(asset)) {
            assertThat(f.tensors()).extracting(StoredTensor::toString).containsExactly(
                    "token_embd.weight F16[32000, 8]",
                    "blk.0.attn_q.weight F16[8, 8]", "blk.0.attn_k.weight F16[8, 8]",
                    "blk.0.attn_v.weight F16[8, 8]", "blk.0.attn_output.weight F16[8, 8]",
                    "blk.0.ffn_gate.weight F16[32, 8]", "blk.0.ffn_up.weight F16[32, 8]",
                    "blk.0.ffn_down.weight F16[8, 32]",
                    "blk.0.attn_norm.weight F32[8]", "blk.0.ffn_norm.weight F32[8]",
                    "output_norm.weight F32[8]", "output.weight F16[32000, 8]");
            assertThat(f.dataOffset()).isEqualTo(724416);
            StoredTensor embd = f.tensor("token_embd.weight");
            assertThat(embd.data().isMapped()).isTrue();
            assertThat(embd.byteSize()).isEqualTo(32000L * 8 * 2);
            // the last tensor ends exactly at the end of the file
            StoredTensor out = f.tensor("output.weight");
            assertThat(f.dataOffset() + f.tensorOffset("output.weight") + out.byteSize()).isEqualTo(Files.size(asset));
            // tensor bytes are the file's bytes at dataOffset + offset
            byte[] file = Files.readAllBytes(asset);
            long at = f.dataOffset() + f.tensorOffset("blk.0.attn_norm.weight");
            StoredTensor norm = f.tensor("blk.0.attn_norm.weight");
            for (int i = 0; i < 8; i++) {
                float expected = java.nio.ByteBuffer.wrap(file, (int) at + 4 * i, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
                assertThat(norm.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i)).isEqualTo(expected);
                assertThat(Float.isFinite(expected)).isTrue();
            }
            assertThat(norm.dtype()).isEqualTo(DType.F32);
        }
    }
}
