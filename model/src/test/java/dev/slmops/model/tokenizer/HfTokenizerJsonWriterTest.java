package dev.slmops.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.testkit.ProjectFiles;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tokenizer.json we write, loaded by Hugging Face's Rust tokenizers (DJL), against implementations we did not
 * write: llama.cpp on a GGUF's SentencePiece vocabulary (Llama-2), and the real Qwen3 / Llama-3 tokenizer.json
 * files after a trip through GGUF metadata.
 */
class HfTokenizerJsonWriterTest {
    static final int RANDOM_STRINGS = 900;
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path write(JsonNode tokenizerJson, Path dir) throws Exception {
        Files.createDirectories(dir);
        Path p = dir.resolve("tokenizer.json");
        JSON.writeValue(p.toFile(), tokenizerJson);
        return p;
    }

    private static long[] longs(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }

    private static boolean hasControlToken(String s) {
        return s.contains("<s>") || s.contains("</s>") || s.contains("<unk>");
    }

    @Test
    void llama2GgufVocabularyInRustTokenizersMatchesLlamaCpp(@TempDir Path tmp) throws Exception {
        Path asset = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        Map<String, Object> md;
        try (GgufFile gguf = GgufFile.open(asset)) {
            md = gguf.metadata();
        }
        JsonNode json = HfTokenizerJsonWriter.fromGgufMetadata(md);
        assertThat(json.path("model").path("byte_fallback").asBoolean()).isTrue();
        assertThat(json.path("model").path("merges").size()).isGreaterThan(60_000);
        Path file = write(json, tmp.resolve("llama2"));
        Tokenizer ours = Tokenizers.fromGgufMetadata(md);
        Tokenizer oursFromJson = Tokenizers.fromHfFiles(file, null);
        List<String> corpus = TokenizerCorpus.build(20261127L, RANDOM_STRINGS);
        List<String> mismatches = new ArrayList<>();
        int decoded = 0;
        try (HuggingFaceTokenizer rust = HfParityTest.rust(file); LlamaCpp.Model llama = LlamaCpp.load(asset)) {
            for (String s : corpus) {
                int[] expected = llama.tokenize(s, true, true);
                long[] actual = rust.encode(s, true, false).getIds();
                if (!Arrays.equals(longs(expected), actual)) {
                    mismatches.add(HfParityTest.escape(s) + "\n   llama.cpp: " + Arrays.toString(expected)
                            + "\n   rust:      " + Arrays.toString(actual));
                }
                assertThat(oursFromJson.encode(s)).as("our reader of the written file: %s", HfParityTest.escape(s))
                        .containsExactly(ours.encode(s));
                int[] plain = llama.tokenize(s, false, true);
                String back = rust.decode(longs(plain), false);
                assertThat(back).as("Rust decode vs ours: %s", HfParityTest.escape(s)).isEqualTo(ours.decode(plain));
                if (!hasControlToken(s)) {
                    assertThat(back).as("decode(encode(%s))", HfParityTest.escape(s)).isEqualTo(s);
                    decoded++;
                }
            }
        }
        System.out.printf("llama-2 GGUF -> tokenizer.json: Rust tokenizers vs llama.cpp on %d strings: %d mismatches; "
                + "%d exact round trips%n", corpus.size(), mismatches.size(), decoded);
        mismatches.stream().limit(10).forEach(System.out::println);
        assertThat(mismatches).isEmpty();
    }

    @Test
    void llama2GgufVocabularyInTransformersJsTokenizersMatchesLlamaCpp(@TempDir Path tmp) throws Exception {
        requireNode();
        Path asset = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        Map<String, Object> md;
        try (GgufFile gguf = GgufFile.open(asset)) {
            md = gguf.metadata();
        }
        Path file = write(HfTokenizerJsonWriter.fromGgufMetadata(md), tmp.resolve("llama2"));
        Path config = file.resolveSibling("tokenizer_config.json");
        JSON.writeValue(config.toFile(), HfTokenizerJsonWriter.configFields(Tokenizers.fromGgufMetadata(md)));
        List<String> corpus = TokenizerCorpus.build(20261128L, RANDOM_STRINGS);
        Path texts = tmp.resolve("texts.json");
        JSON.writeValue(texts.toFile(), corpus);
        JsonNode results = runNode("encode-reference.mjs", file.toString(), config.toString(), texts.toString());
        assertThat(results.size()).isEqualTo(corpus.size());
        List<String> mismatches = new ArrayList<>();
        int decoded = 0;
        try (LlamaCpp.Model llama = LlamaCpp.load(asset)) {
            for (int i = 0; i < corpus.size(); i++) {
                String s = corpus.get(i);
                int[] expected = llama.tokenize(s, true, true);
                int[] actual = new int[results.get(i).get("ids").size()];
                for (int k = 0; k < actual.length; k++) actual[k] = results.get(i).get("ids").get(k).asInt();
                if (!Arrays.equals(expected, actual)) {
                    mismatches.add(HfParityTest.escape(s) + "\n   llama.cpp:       " + Arrays.toString(expected)
                            + "\n   transformers.js: " + Arrays.toString(actual));
                }
                if (!hasControlToken(s)) {
                    assertThat(results.get(i).get("decoded").asText()).as("decode(encode(%s))", HfParityTest.escape(s))
                            .isEqualTo(s);
                    decoded++;
                }
            }
        }
        System.out.printf("llama-2 GGUF -> tokenizer.json: transformers.js tokenizers vs llama.cpp on %d strings: "
                + "%d mismatches; %d exact round trips%n", corpus.size(), mismatches.size(), decoded);
        mismatches.stream().limit(10).forEach(System.out::println);
        assertThat(mismatches).isEmpty();
    }

    static void requireNode() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() == 0) return;
        } catch (java.io.IOException | InterruptedException e) {
            // fall through to the abort below
        }
        String msg = "SKIPPED (missing reference): node is not on PATH; this test compares with transformers.js";
        System.err.println("!!! " + msg);
        org.junit.jupiter.api.Assumptions.abort(msg);
    }

    /** Runs a node script from test resources /tokenizer/ and parses its standard output as JSON. */
    static JsonNode runNode(String script, String... args) throws Exception {
        Path dir = Files.createTempDirectory("tokenizer-reference");
        Path file = dir.resolve(script);
        try (var in = HfTokenizerJsonWriterTest.class.getResourceAsStream("/tokenizer/" + script)) {
            if (in == null) throw new IllegalStateException("test resource /tokenizer/" + script + " is missing");
            Files.write(file, in.readAllBytes());
        }
        List<String> cmd = new ArrayList<>(List.of("node", file.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("SLMOPS_REFERENCES", ProjectFiles.references().toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("node " + script + " failed (exit " + p.exitValue() + ")");
        }
        return JSON.readTree(out);
    }

    @Test
    void aGgufTokenizerWithoutATokenizerJsonFormIsAClearError() {
        Map<String, Object> md = Map.of("tokenizer.ggml.model", "bert", "tokenizer.ggml.tokens", List.of("a"));
        assertThatThrownBy(() -> HfTokenizerJsonWriter.fromGgufMetadata(md))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("'bert'")
                .hasMessageContaining("supported");
        Map<String, Object> pre = Map.of("tokenizer.ggml.model", "gpt2", "tokenizer.ggml.pre", "falcon",
                "tokenizer.ggml.tokens", List.of("a", "b", "ab"), "tokenizer.ggml.merges", List.of("a b"));
        assertThatThrownBy(() -> HfTokenizerJsonWriter.fromGgufMetadata(pre))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("'falcon'")
                .hasMessageContaining("qwen2");
    }

    @Test
    void qwen3ThroughGgufMetadataKeepsRustIds(@TempDir Path tmp) throws Exception {
        throughGguf("qwen3", HfParityTest.qwen3Json(), "qwen2", true, tmp);
    }

    @Test
    void llama3ThroughGgufMetadataKeepsRustIds(@TempDir Path tmp) throws Exception {
        throughGguf("llama3", HfParityTest.llama3Json(), "llama-bpe", false, tmp);
    }

    /**
     * tokenizer.json -> ours -> GGUF metadata -> ours -> tokenizer.json -> Rust: same ids as the original file in
     * Rust. GGUF has no normalizer (llama.cpp applies none), so Qwen3's NFC is compared on NFC text. Qwen's
     * vocabulary has a plain "</s>" entry that the GGUF path makes a control token, as llama.cpp's loader does
     * (GgufRoundTripTest leaves those strings out for the same reason): strings with "</s>" are left out for Qwen3.
     */
    private static void throughGguf(String name, Path original, String pre, boolean nfc, Path tmp) throws Exception {
        Tokenizer hf = Tokenizers.fromHfFiles(original, original.resolveSibling("tokenizer_config.json"));
        Map<String, Object> md = hf.toGgufMetadata();
        assertThat(md.get("tokenizer.ggml.pre")).isEqualTo(pre);
        Tokenizer fromGguf = Tokenizers.fromGgufMetadata(md);
        Path written = write(HfTokenizerJsonWriter.of(fromGguf), tmp.resolve(name));
        List<String> corpus = TokenizerCorpus.build(20261127L, RANDOM_STRINGS);
        List<String> mismatches = new ArrayList<>();
        try (HuggingFaceTokenizer expected = HfParityTest.rust(original); HuggingFaceTokenizer actual = HfParityTest.rust(written)) {
            for (String s0 : corpus) {
                if (nfc && s0.contains("</s>")) continue;
                String s = nfc ? Normalizer.normalize(s0, Normalizer.Form.NFC) : s0;
                for (boolean addSpecial : new boolean[]{true, false}) {
                    long[] a = expected.encode(s, addSpecial, false).getIds(), b = actual.encode(s, addSpecial, false).getIds();
                    if (!Arrays.equals(a, b)) {
                        mismatches.add((addSpecial ? "[special] " : "[plain] ") + HfParityTest.escape(s)
                                + "\n   original: " + Arrays.toString(a) + "\n   written:  " + Arrays.toString(b));
                    }
                }
                long[] ids = expected.encode(s, false, false).getIds();
                assertThat(actual.decode(ids, false)).isEqualTo(expected.decode(ids, false));
                assertThat(actual.decode(ids, true)).isEqualTo(expected.decode(ids, true));
            }
        }
        System.out.printf("%s: tokenizer.json -> GGUF -> written tokenizer.json, Rust ids on %d strings x 2: "
                + "%d mismatches%n", name, corpus.size(), mismatches.size());
        mismatches.stream().limit(10).forEach(System.out::println);
        assertThat(mismatches).isEmpty();
    }

    @Test
    void everyByteLevelPreTokenizerFamilyLoadsInRustAsOurGgufTokenizerSplits(@TempDir Path tmp) throws Exception {
        // a small trained byte-level vocabulary keeps this fast; each family splits the text differently, and a
        // different split gives different ids
        Path trained = tmp.resolve("trained");
        dev.slmops.model.tokenizer.train.BpeTrainer.train(
                dev.slmops.model.tokenizer.train.BuiltinCorpus.documents(7L, 100_000),
                dev.slmops.model.tokenizer.train.BpeTrainer.Options.defaults(2048)).writeHfFiles(trained);
        Tokenizer hf = Tokenizers.fromHfDir(trained);
        assertThat(HfTokenizerJsonWriter.of(hf)).as("a tokenizer read from tokenizer.json gets the file back")
                .isEqualTo(JSON.readTree(trained.resolve("tokenizer.json").toFile()));
        Map<String, Object> base = hf.toGgufMetadata();
        List<String> corpus = TokenizerCorpus.build(7L, 400);
        for (String pre : List.of("llama-bpe", "qwen2", "smollm", "gpt-2", "default")) {
            Map<String, Object> md = new java.util.LinkedHashMap<>(base);
            md.put("tokenizer.ggml.pre", pre);
            // BOS and EOS wrapping through the TemplateProcessing post-processor
            md.put("tokenizer.ggml.bos_token_id", (long) hf.tokenId("<|im_start|>").orElseThrow());
            md.put("tokenizer.ggml.eos_token_id", (long) hf.tokenId("<|im_end|>").orElseThrow());
            md.put("tokenizer.ggml.add_bos_token", true);
            md.put("tokenizer.ggml.add_eos_token", true);
            Tokenizer ours = Tokenizers.fromGgufMetadata(md);
            Path written = write(HfTokenizerJsonWriter.fromGgufMetadata(md), tmp.resolve(pre));
            int mismatches = 0;
            String first = null;
            try (HuggingFaceTokenizer rust = HfParityTest.rust(written)) {
                for (String s0 : corpus) {
                    String s = Normalizer.normalize(s0, Normalizer.Form.NFC);
                    boolean special = s.length() % 2 == 0;   // both modes, half the strings each
                    long[] expected = longs(ours.encode(s, special));
                    if (special) assertThat(expected[0]).isEqualTo(md.get("tokenizer.ggml.bos_token_id"));
                    if (!Arrays.equals(expected, rust.encode(s, special, false).getIds())) {
                        mismatches++;
                        if (first == null) first = HfParityTest.escape(s);
                    }
                }
            }
            System.out.printf("pre %s: ours (GGUF) vs Rust (written tokenizer.json) on %d strings: %d mismatches %s%n",
                    pre, corpus.size(), mismatches, first == null ? "" : "first " + first);
            assertThat(mismatches).as(pre).isZero();
        }
    }
}
