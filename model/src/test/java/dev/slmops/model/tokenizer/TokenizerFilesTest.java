package dev.slmops.model.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading: special tokens from the real files, and clear errors for what is not supported. */
class TokenizerFilesTest {

    @Test
    void llama3SpecialsIncludeEndOfTurn() {
        Tokenizer t = TestTokenizers.llama3();
        assertThat(t.kind()).isEqualTo("bpe-bytelevel");
        assertThat(t.specials().bos()).hasValue(128000);
        assertThat(t.specials().eos()).hasValue(128001);
        assertThat(t.specials().isEos(128009)).as("<|eot_id|>").isTrue();
        assertThat(t.tokenId("<|eot_id|>")).hasValue(128009);
        assertThat(t.token(128000)).isEqualTo("<|begin_of_text|>");
        assertThat(t.vocabSize()).isEqualTo(128256);
    }

    @Test
    void qwen3Specials() {
        Path json = HfParityTest.qwen3Json();
        Tokenizer t = Tokenizers.fromHfDir(json.getParent());
        assertThat(t.specials().bos()).isEmpty();
        assertThat(t.specials().eos()).hasValue(151645);                 // <|im_end|>
        assertThat(t.specials().pad()).hasValue(151643);                 // <|endoftext|>
        assertThat(t.encode("hi")).containsExactly(6023);
        assertThat(t.tokenId("Ġworld")).isPresent();
    }

    @Test
    void templateProcessingAndConfigFlagsDecideBosEos(@TempDir Path dir) throws Exception {
        Path json = write(dir, "tokenizer.json", TINY_BYTELEVEL.replace("\"post_processor\": null", """
                "post_processor": {"type": "TemplateProcessing",
                  "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                  "special_tokens": {"<bos>": {"id": "<bos>", "ids": [4], "tokens": ["<bos>"]}}}"""));
        Tokenizer t = Tokenizers.fromHfFiles(json, null);
        assertThat(t.encode("ab")).containsExactly(4, 3);
        assertThat(t.encode("ab", false)).containsExactly(3);
        Path config = write(dir, "tokenizer_config.json", "{\"bos_token\": \"<bos>\", \"eos_token\": \"<eos>\", "
                + "\"add_bos_token\": false, \"add_eos_token\": true}");
        assertThat(Tokenizers.fromHfFiles(json, config).encode("ab")).containsExactly(3, 5);
    }

    @Test
    void unsupportedComponentsAreNamed(@TempDir Path dir) throws Exception {
        Path unigram = write(dir, "u.json", TINY_BYTELEVEL.replace("\"type\": \"BPE\"", "\"type\": \"Unigram\""));
        assertThatThrownBy(() -> Tokenizers.fromHfFiles(unigram, null)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("model type 'Unigram'").hasMessageContaining("supported: BPE");
        Path ws = write(dir, "w.json", TINY_BYTELEVEL.replace("\"type\": \"ByteLevel\", \"add_prefix_space\": false",
                "\"type\": \"WhitespaceSplit\", \"add_prefix_space\": false"));
        assertThatThrownBy(() -> Tokenizers.fromHfFiles(ws, null)).hasMessageContaining("pre_tokenizer 'WhitespaceSplit'")
                .hasMessageContaining("ByteLevel");
        Path lower = write(dir, "l.json", TINY_BYTELEVEL.replace("\"normalizer\": null", "\"normalizer\": {\"type\": \"Lowercase\"}"));
        assertThatThrownBy(() -> Tokenizers.fromHfFiles(lower, null)).hasMessageContaining("normalizer 'Lowercase'");
        assertThatThrownBy(() -> Tokenizers.fromHfDir(dir.resolve("nowhere"))).hasMessageContaining("has no tokenizer.json");
        assertThatThrownBy(() -> Tokenizers.fromGgufMetadata(Map.of("tokenizer.ggml.model", "bert",
                "tokenizer.ggml.tokens", java.util.List.of("a")))).hasMessageContaining("'bert' is not supported");
    }

    /** Byte-level BPE over a 6-entry vocabulary: a, b, Ġ, ab and two added tokens. */
    static final String TINY_BYTELEVEL = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 4, "content": "<bos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 5, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
             "normalizer": null,
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
             "post_processor": null,
             "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false, "byte_fallback": false,
               "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3}, "merges": ["a b"]}}
            """;

    static Path write(Path dir, String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }
}
