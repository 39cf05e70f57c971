package dev.slmops.model.tokenizer.train;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The written files, read by an implementation this project did not write: Hugging Face's Rust tokenizers
 * (DJL bindings) must load them, encode held-out text to ids whose decode is the text, agree id for id with
 * the plain reference encoder, and keep special tokens whole.
 */
class TrainedTokenizerFilesTest {
    static final int VOCAB = TrainedFixture.VOCAB;

    static Path dir;
    static TrainedBpe bpe;

    @BeforeAll
    static void train() {
        bpe = TrainedFixture.bpe();
        dir = TrainedFixture.dir();
        System.out.println(bpe.note());
    }

    static HuggingFaceTokenizer rust(Path tokenizerJson) throws Exception {
        return HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of("truncation", "false", "padding", "false",
                "addSpecialTokens", "false"));
    }

    /** Text the trainer never saw: another seed of the generator plus awkward hand-written strings. */
    static List<String> heldOut() {
        List<String> texts = new ArrayList<>(BuiltinCorpus.documents(990L, 60_000));
        texts.addAll(List.of("", " ", "  leading and trailing  ", "tabs\tand\r\nCRLF\r\n\r\n", "emoji 🙂👍🏽 and 𝔘𝔫𝔦",
                "e\u0301 composes to é under NFC", "Ångström ﬁ ligature", "don't WON'T they'LL I'm",
                "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n", "<|endoftext|><|endoftext|>x",
                "<|reserved_5|> is a reserved token", "<|im_start", "numbers 1234567890 ١٢٣ ⅷ", "   \n\n   \n",
                "x".repeat(500), "混合 text 和 код ∑∫ ≠"));
        return texts;
    }

    @Test
    void vocabularyHasExactlyTheTargetSize() {
        assertThat(bpe.vocabSize()).isEqualTo(VOCAB);
        assertThat(bpe.firstSpecialId() + bpe.specialTokens().size() + bpe.reservedTokens().size()).isEqualTo(VOCAB);
        assertThat(bpe.token(bpe.firstSpecialId())).isEqualTo("<|endoftext|>");
        assertThat(bpe.learnedTokenCount()).as("the built-in corpus supports thousands of merges").isGreaterThan(2000);
    }

    @Test
    void rustTokenizersRoundTripHeldOutText() throws Exception {
        try (HuggingFaceTokenizer rust = rust(dir.resolve("tokenizer.json"))) {
            long ids = 0, bytes = 0;
            for (String text : heldOut()) {
                long[] encoded = rust.encode(text, false, false).getIds();
                for (long id : encoded) {
                    assertThat(id < bpe.firstUnusedId() || bpe.isAddedToken((int) id))
                            .as("id %d is a learned token or an added token, never an unused filler", id).isTrue();
                }
                assertThat(rust.decode(encoded, false)).as("decode(encode(%s))", text)
                        .isEqualTo(Normalizer.normalize(text, Normalizer.Form.NFC));
                ids += encoded.length;
                bytes += text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            }
            System.out.printf("held-out text: %d bytes -> %d tokens (%.2f bytes/token)%n", bytes, ids, (double) bytes / ids);
            assertThat((double) bytes / ids).as("learned merges compress the text").isGreaterThan(2.5);
        }
    }

    @Test
    void rustTokenizersAgreeWithTheReferenceEncoderOn500Strings() throws Exception {
        ReferenceBpeEncoder reference = new ReferenceBpeEncoder(dir.resolve("tokenizer.json"));
        List<String> strings = new ArrayList<>(heldOut());
        for (String doc : BuiltinCorpus.documents(4242L, 40_000)) {
            for (String line : doc.split("\n")) if (strings.size() < 520) strings.add(line);
        }
        assertThat(strings.size()).isGreaterThanOrEqualTo(500);
        int compared = 0;
        try (HuggingFaceTokenizer rust = rust(dir.resolve("tokenizer.json"))) {
            for (String s : strings) {
                long[] expected = rust.encode(s, false, false).getIds();
                long[] actual = reference.encode(s).stream().mapToLong(Integer::longValue).toArray();
                assertThat(actual).as("ids of %s", s).containsExactly(expected);
                compared++;
            }
        }
        System.out.println("reference encoder = Rust tokenizers on " + compared + " strings");
    }

    @Test
    void specialTokensAreSingleIdsAndReservedTokensAreSpecial() throws Exception {
        int start = bpe.firstSpecialId() + 1, end = bpe.firstSpecialId() + 2, reserved5 = bpe.firstSpecialId() + 3 + 5;
        assertThat(bpe.token(reserved5)).isEqualTo("<|reserved_5|>");
        assertThat(bpe.token(VOCAB - 1)).isEqualTo("<|reserved_255|>");
        try (HuggingFaceTokenizer rust = rust(dir.resolve("tokenizer.json"))) {
            Encoding e = rust.encode("<|im_start|>user\nHi<|im_end|><|reserved_5|>", false, false);
            long[] ids = e.getIds();
            assertThat(ids[0]).isEqualTo(start);
            assertThat(ids[ids.length - 2]).isEqualTo(end);
            assertThat(ids[ids.length - 1]).isEqualTo(reserved5);
            assertThat(rust.decode(ids, true)).isEqualTo("user\nHi");
            int unused = bpe.firstUnusedId();
            assertThat(bpe.token(unused)).isEqualTo("<|unused_0|>");
            assertThat(rust.decode(new long[]{unused, bpe.firstSpecialId() - 1}, false))
                    .isEqualTo("<|unused_0|><|unused_" + (bpe.unusedTokens().size() - 1) + "|>");
            assertThat(rust.encode("<|unused_0|>", false, false).getIds()).as("unused fillers are never produced")
                    .doesNotContain(unused);
        }
    }

    @Test
    void tokenizerConfigDeclaresSpecialsTemplateAndNote() throws Exception {
        JsonNode config = new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile());
        assertThat(config.path("add_bos_token").asBoolean(true)).isFalse();
        assertThat(config.path("bos_token").isNull()).isTrue();
        assertThat(config.path("eos_token").asText()).isEqualTo("<|im_end|>");
        assertThat(config.path("pad_token").asText()).isEqualTo("<|endoftext|>");
        assertThat(config.path("model_max_length").asInt()).isEqualTo(8192);
        assertThat(config.path("slmops_note").asText()).contains("reserved").contains(String.valueOf(VOCAB))
                .contains("built-in synthetic corpus");
        assertThat(config.path("added_tokens_decoder").path(String.valueOf(bpe.firstSpecialId() + 2))
                .path("content").asText()).isEqualTo("<|im_end|>");
        String rendered = new Jinjava().render(config.path("chat_template").asText(), Map.of(
                "messages", List.of(Map.of("role", "system", "content", "Be brief."),
                        Map.of("role", "user", "content", "Hi!")),
                "add_generation_prompt", true));
        assertThat(rendered).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                + "<|im_start|>assistant\n");
        JsonNode map = new ObjectMapper().readTree(dir.resolve("special_tokens_map.json").toFile());
        assertThat(map.path("eos_token").path("content").asText()).isEqualTo("<|im_end|>");
        assertThat(map.path("additional_special_tokens").get(0).asText()).isEqualTo("<|im_start|>");
    }

    @Test
    void trainingIsDeterministicByteForByte(@TempDir Path again) throws Exception {
        BpeTrainer.train(BuiltinCorpus.documents(), BpeTrainer.Options.defaults(VOCAB)
                .withCorpusName(BuiltinCorpus.DESCRIPTION)).writeHfFiles(again);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
            assertThat(Files.readAllBytes(again.resolve(f))).as(f).isEqualTo(Files.readAllBytes(dir.resolve(f)));
        }
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(again.resolve("tokenizer.json")))).isEqualTo("rw-r--r--");
        try (Stream<Path> files = Files.list(again)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).as("no temp files left")
                    .containsExactly("special_tokens_map.json", "tokenizer.json", "tokenizer_config.json");
        }
    }

    @Test
    void mergesAreWrittenInRankOrderAsSpaceSeparatedPairs() throws Exception {
        JsonNode json = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile());
        JsonNode merges = json.path("model").path("merges");
        assertThat(merges.size()).isEqualTo(bpe.mergeCount());
        assertThat(merges.get(0).asText()).isEqualTo(bpe.merge(0));
        assertThat(bpe.reservedTokens()).hasSize(256);
        assertThat(json.path("added_tokens").size()).isEqualTo(3 + 256);
        assertThat(json.path("added_tokens").get(0).path("id").asInt()).isEqualTo(bpe.firstSpecialId());
        assertThat(json.path("model").path("vocab").size()).isEqualTo(bpe.firstSpecialId());
        assertThat(json.path("model").path("vocab").path("<|unused_0|>").asInt()).isEqualTo(bpe.firstUnusedId());
        assertThat(json.path("pre_tokenizer").path("pretokenizers").get(0).path("pattern").path("Regex").asText())
                .isEqualTo("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
        long[] frequencies = new long[bpe.mergeCount()];
        for (int r = 0; r < frequencies.length; r++) frequencies[r] = bpe.mergeFrequency(r);
        long[] sorted = frequencies.clone();
        Arrays.sort(sorted);
        assertThat(frequencies[0]).as("the first merge is the most frequent pair").isEqualTo(sorted[sorted.length - 1]);
    }
}
