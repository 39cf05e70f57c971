package dev.slmops.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** fromGgufMetadata on small hand-made maps (plain Java values, as the GGUF reader gives them). */
class GgufMetadataTest {

    /** A SentencePiece vocabulary: <unk> <s> </s>, 256 byte tokens, then pieces with scores. */
    static Map<String, Object> tinySpm() {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        List<Long> types = new ArrayList<>(List.of(2L, 3L, 3L));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            scores.add(0f);
            types.add(6L);
        }
        String[] pieces = {"▁", "a", "b", "▁a", "ab", "▁ab", "▁b"};
        float[] pieceScores = {-1, -2, -3, -4, -5, -6, -7};
        for (int i = 0; i < pieces.length; i++) {
            tokens.add(pieces[i]);
            scores.add(pieceScores[i]);
            types.add(1L);
        }
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.model", "llama");
        md.put("tokenizer.ggml.tokens", tokens);
        md.put("tokenizer.ggml.scores", scores);
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.bos_token_id", 1L);
        md.put("tokenizer.ggml.eos_token_id", 2L);
        md.put("tokenizer.ggml.unknown_token_id", 0L);
        return md;
    }

    @Test
    void spmMergesByScoreAndFallsBackToBytes() {
        Tokenizer t = Tokenizers.fromGgufMetadata(tinySpm());
        int base = 3 + 256;
        int sp = base, a = base + 1, b = base + 2, spA = base + 3, ab = base + 4, spAb = base + 5, spB = base + 6;
        // "▁ab": "▁a" (score -4) beats "ab" (-5); then "▁a"+"b" = "▁ab"
        assertThat(t.encode("ab")).containsExactly(1, spAb);
        assertThat(t.encode("ab", false)).containsExactly(spAb);
        assertThat(t.encode("b a")).containsExactly(1, spB, spA);
        assertThat(t.encode("é", false)).containsExactly(sp, 3 + 0xC3, 3 + 0xA9);
        assertThat(t.encode("a</s>b", false)).containsExactly(spA, 2, spB);   // space prefix after a special token
        assertThat(t.decode(t.encode("ab é b"), true)).isEqualTo("ab é b");
        assertThat(t.decode(new int[]{1, spAb, 2})).isEqualTo("<s> ab</s>");
        assertThat(t.specials().unk()).hasValue(0);
        assertThat(t.kind()).isEqualTo("spm");
        assertThat(ab).isPositive();
        assertThat(a + b).isPositive();
        Tokenizer again = Tokenizers.fromGgufMetadata(t.toGgufMetadata());
        assertThat(again.encode("ab é b")).isEqualTo(t.encode("ab é b"));
    }

    @Test
    void gpt2ModelWithQwen2PreTokenizer() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
        tokens.addAll(List.of("Ġw", "or", "Ġwor", "Ġworld", "<|im_end|>"));
        int gw = 256, or = 257, gwor = 258, gworld = 259, imEnd = 260;
        List<Long> types = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) types.add(i == imEnd ? 3L : 1L);
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.pre", "qwen2");
        md.put("tokenizer.ggml.tokens", tokens);
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.merges", List.of("Ġ w", "o r", "Ġw or"));
        md.put("tokenizer.ggml.eos_token_id", (long) imEnd);
        md.put("tokenizer.ggml.add_bos_token", false);
        Tokenizer t = Tokenizers.fromGgufMetadata(md);
        assertThat(t.encode(" wor<|im_end|>12")).containsExactly(gwor, imEnd, '1', '2');
        assertThat(t.encode(" world")).containsExactly(gwor, 'l', 'd');   // no merge with l: stops at Ġwor
        assertThat(t.decode(new int[]{gworld, imEnd}, true)).isEqualTo(" world");
        assertThat(t.specials().isEos(imEnd)).isTrue();
        assertThat(gw + or).isPositive();
    }
}
