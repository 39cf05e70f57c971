package dev.slmops.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HF tokenizer.json -> toGgufMetadata() -> fromGgufMetadata(): the GGUF form of a tokenizer (what slmops
 * writes when converting a model) tokenizes the corpus exactly as the tokenizer.json it came from.
 * llama.cpp does not apply tokenizer.json's NFC normalizer, so Qwen3 is compared on NFC text.
 */
class GgufRoundTripTest {

    @Test
    void qwen3ThroughGgufMetadataGivesSameIds() {
        roundTrip("qwen3", HfParityTest.qwen3Json(), "qwen2", true);
    }

    @Test
    void llama3ThroughGgufMetadataGivesSameIds() {
        roundTrip("llama3", HfParityTest.llama3Json(), "llama-bpe", false);
    }

    private static void roundTrip(String name, Path json, String expectedPre, boolean nfc) {
        Tokenizer hf = TestTokenizers.hf(json);
        Map<String, Object> md = hf.toGgufMetadata();
        assertThat(md.get("tokenizer.ggml.model")).isEqualTo("gpt2");
        assertThat(md.get("tokenizer.ggml.pre")).isEqualTo(expectedPre);
        assertThat((List<?>) md.get("tokenizer.ggml.tokens")).hasSize(hf.vocabSize());
        Tokenizer gguf = Tokenizers.fromGgufMetadata(md);
        assertThat(gguf.vocabSize()).isEqualTo(hf.vocabSize());
        assertThat(gguf.specials().bos()).isEqualTo(hf.specials().bos());
        assertThat(gguf.specials().eos()).isEqualTo(hf.specials().eos());
        List<String> corpus = TokenizerCorpus.build(20261126L, HfParityTest.RANDOM_STRINGS);
        List<String> mismatches = new ArrayList<>();
        int skipped = 0;
        for (String s0 : corpus) {
            String s = nfc ? Normalizer.normalize(s0, Normalizer.Form.NFC) : s0;
            if (hf.tokenId("</s>").isPresent() && s.contains("</s>")) {
                skipped++;   // a plain vocabulary entry for HF, a control token for llama.cpp (and our GGUF path)
                continue;
            }
            for (boolean addSpecial : new boolean[]{true, false}) {
                int[] a = hf.encode(s, addSpecial), b = gguf.encode(s, addSpecial);
                if (!Arrays.equals(a, b)) mismatches.add(HfParityTest.escape(s) + "\n  json: " + Arrays.toString(a)
                        + "\n  gguf: " + Arrays.toString(b));
            }
            int[] ids = hf.encode(s, false);
            assertThat(gguf.decode(ids)).isEqualTo(hf.decode(ids));
        }
        System.out.printf("%s: tokenizer.json vs its GGUF metadata on %d strings x 2: %d mismatches "
                + "(%d strings with \"</s>\" left out: llama.cpp makes that vocabulary entry a control token)%n",
                name, corpus.size() - skipped, mismatches.size(), skipped);
        mismatches.stream().limit(10).forEach(System.out::println);
        assertThat(mismatches).isEmpty();
    }
}
