package dev.slmops.model.format.gguf;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Vocabularies llama.cpp would refuse to load are refused before a file is written, naming the key. */
class GgufTokenizerMetadataTest {

    private static Map<String, Object> vocab() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(GgufKeys.TOKENIZER_MODEL, "llama");
        m.put(GgufKeys.TOKENS, List.of("<unk>", "<s>", "</s>"));
        m.put(GgufKeys.SCORES, List.of(0f, 0f, 0f));
        m.put(GgufKeys.TOKEN_TYPE, List.of(2L, 3L, 3L));
        m.put(GgufKeys.BOS_ID, 1L);
        return m;
    }

    @Test
    void refusesArraysThatDoNotHaveOneEntryPerToken() {
        Map<String, Object> m = vocab();
        m.put(GgufKeys.SCORES, List.of(0f, 0f));
        assertThatThrownBy(() -> GgufTokenizerMetadata.put(new GgufWriter(), m))
                .hasMessageContaining("tokenizer.ggml.scores has 2 entries for 3 tokens");
    }

    @Test
    void refusesSpecialIdsOutsideTheVocabularyAndUnknownTokenTypes() {
        Map<String, Object> m = vocab();
        m.put(GgufKeys.EOS_ID, 3L);
        assertThatThrownBy(() -> GgufTokenizerMetadata.put(new GgufWriter(), m))
                .hasMessageContaining("tokenizer.ggml.eos_token_id = 3 is outside the vocabulary of 3 tokens");
        Map<String, Object> t = vocab();
        t.put(GgufKeys.TOKEN_TYPE, List.of(2L, 3L, 9L));
        assertThatThrownBy(() -> GgufTokenizerMetadata.put(new GgufWriter(), t)).hasMessageContaining("token type 9");
    }
}
