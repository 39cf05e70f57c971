package dev.slmops.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SentencePiece-style BPE from tokenizer.json (Llama-2 / TinyLlama layout) against Hugging Face's Rust
 * tokenizers. No such file ships with the references, so the test writes one from the Llama-2 vocabulary
 * of the llama.cpp-converted asset, deriving merges from the scores as transformers' SentencePiece converter
 * does, in both layouts tokenizers uses: the legacy Prepend+Replace normalizer and the Metaspace
 * pre-tokenizer (prepend_scheme "first").
 */
class SpmJsonParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void legacyPrependReplaceLayoutMatchesRust(@TempDir Path dir) throws Exception {
        compare("spm legacy", writeJson(dir.resolve("legacy.json"), false));
    }

    @Test
    void metaspaceLayoutMatchesRust(@TempDir Path dir) throws Exception {
        compare("spm metaspace", writeJson(dir.resolve("metaspace.json"), true));
    }

    /**
     * tokenizer.json (legacy layout) -> toGgufMetadata ("llama", scores from merge ranks) -> llama.cpp's
     * score-based algorithm gives the same ids. (The Metaspace "first" layout is left out: it prepends '▁'
     * only at the very start, llama.cpp also after every special token.)
     */
    @Test
    void legacyLayoutThroughGgufMetadataGivesSameIds(@TempDir Path dir) throws Exception {
        Tokenizer json = Tokenizers.fromHfFiles(writeJson(dir.resolve("legacy.json"), false), null);
        Map<String, Object> md = json.toGgufMetadata();
        assertThat(md.get("tokenizer.ggml.model")).isEqualTo("llama");
        Tokenizer gguf = Tokenizers.fromGgufMetadata(md);
        List<String> mismatches = new ArrayList<>();
        List<String> corpus = TokenizerCorpus.build(20261126L, HfParityTest.RANDOM_STRINGS);
        for (String s : corpus) {
            for (boolean addSpecial : new boolean[]{true, false}) {
                int[] a = json.encode(s, addSpecial), b = gguf.encode(s, addSpecial);
                if (!Arrays.equals(a, b)) mismatches.add(HfParityTest.escape(s) + "\n  json: " + Arrays.toString(a)
                        + "\n  gguf: " + Arrays.toString(b));
            }
        }
        System.out.printf("spm tokenizer.json vs its GGUF metadata on %d strings x 2: %d mismatches%n", corpus.size(),
                mismatches.size());
        mismatches.stream().limit(10).forEach(System.out::println);
        assertThat(mismatches).isEmpty();
    }

    private static void compare(String name, Path json) throws Exception {
        Tokenizer ours = Tokenizers.fromHfFiles(json, null);
        assertThat(ours.kind()).isEqualTo("spm");
        assertThat(ours.encode("Once upon a time")).containsExactly(1, 9038, 2501, 263, 931);
        List<String> corpus = TokenizerCorpus.build(20261126L, HfParityTest.RANDOM_STRINGS);
        List<String> mismatches = new ArrayList<>();
        try (HuggingFaceTokenizer rust = HfParityTest.rust(json)) {
            for (String s : corpus) {
                for (boolean addSpecial : new boolean[]{true, false}) {
                    long[] expected = rust.encode(s, addSpecial, false).getIds();
                    int[] actual = ours.encode(s, addSpecial);
                    if (!Arrays.equals(Arrays.stream(actual).asLongStream().toArray(), expected)) {
                        mismatches.add(HfParityTest.escape(s) + "\n   rust: " + Arrays.toString(expected)
                                + "\n   ours: " + Arrays.toString(actual));
                    }
                }
                int[] ids = ours.encode(s, false);
                long[] lids = Arrays.stream(ids).asLongStream().toArray();
                assertThat(ours.decode(ids, true)).as("decode %s", HfParityTest.escape(s)).isEqualTo(rust.decode(lids, true));
            }
        }
        System.out.printf("%s: compared %d strings x 2 against Rust tokenizers: %d mismatches%n", name, corpus.size(),
                mismatches.size());
        mismatches.stream().limit(10).forEach(System.out::println);
        assertThat(mismatches).isEmpty();
    }

    /** A Llama-2 style tokenizer.json over the asset's vocabulary. */
    static Path writeJson(Path out, boolean metaspace) throws Exception {
        Map<String, Object> md;
        try (GgufFile f = GgufFile.open(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"))) {
            md = f.metadata();
        }
        List<?> tokens = (List<?>) md.get("tokenizer.ggml.tokens");
        List<?> scores = (List<?>) md.get("tokenizer.ggml.scores");
        List<?> types = (List<?>) md.get("tokenizer.ggml.token_type");
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) ids.put((String) tokens.get(i), i);
        // merges: every split of a normal piece into two vocabulary pieces, ordered by the piece's score
        record Merge(String left, String right, float score, int leftId, int rightId) {
        }
        List<Merge> merges = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            if (((Number) types.get(i)).intValue() != 1) continue;
            String piece = (String) tokens.get(i);
            for (int k = 1; k < piece.length(); k++) {
                if (Character.isLowSurrogate(piece.charAt(k))) continue;
                Integer l = ids.get(piece.substring(0, k)), r = ids.get(piece.substring(k));
                if (l != null && r != null) {
                    merges.add(new Merge(piece.substring(0, k), piece.substring(k), ((Number) scores.get(i)).floatValue(), l, r));
                }
            }
        }
        merges.sort(Comparator.comparing((Merge m) -> -m.score).thenComparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < 3; i++) {
            added.addObject().put("id", i).put("content", (String) tokens.get(i)).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        if (metaspace) {
            root.putNull("normalizer");
            root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "\u2581")
                    .put("prepend_scheme", "first").put("split", false);
        } else {
            ObjectNode norm = root.putObject("normalizer").put("type", "Sequence");
            ArrayNode steps = norm.putArray("normalizers");
            steps.addObject().put("type", "Prepend").put("prepend", "\u2581");
            ObjectNode replace = steps.addObject().put("type", "Replace");
            replace.putObject("pattern").put("String", " ");
            replace.put("content", "\u2581");
            root.putNull("pre_tokenizer");
        }
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add("<s>");
        ObjectNode decoder = root.putObject("decoder").put("type", "Sequence");
        ArrayNode decoders = decoder.putArray("decoders");
        ObjectNode rep = decoders.addObject().put("type", "Replace");
        rep.putObject("pattern").put("String", "\u2581");
        rep.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.put("unk_token", "<unk>").putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true).put("byte_fallback", true).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < tokens.size(); i++) vocab.put((String) tokens.get(i), i);
        ArrayNode mergeArray = model.putArray("merges");
        for (Merge m : merges) mergeArray.addArray().add(m.left).add(m.right);
        JSON.writeValue(out.toFile(), root);
        return out;
    }
}
