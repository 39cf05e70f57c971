package dev.slmops.model.tokenizer;

import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.format.gguf.GgufValueType;
import dev.slmops.model.format.gguf.GgufWriter;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.ProjectFiles;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our ids against llama.cpp's {@code llama_tokenize} (add_special and parse_special on) on the corpus:
 * the SentencePiece vocabulary of the llama.cpp-converted asset, and GGUF files carrying the Qwen3 and
 * Llama-3 tokenizers as our {@link Tokenizer#toGgufMetadata()} writes them (in a 1-layer model with
 * zero weights, since llama.cpp loads a tokenizer only with a model).
 */
class LlamaCppParityTest {

    @Test
    void spmVocabularyOfTheAssetMatchesLlamaCpp() throws Exception {
        Path asset = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        Tokenizer ours = fromFile(asset);
        assertThat(ours.kind()).isEqualTo("spm");
        assertThat(ours.encode("Once upon a time")).containsExactly(1, 9038, 2501, 263, 931);
        assertThat(ours.decode(ours.encode("Once upon a time"), true)).isEqualTo("Once upon a time");
        try (LlamaCpp.Model llama = LlamaCpp.load(asset)) {
            compare("llama-2 spm", ours, llama, false);
        }
    }

    @Test
    void qwen3GgufMatchesLlamaCpp(@TempDir Path dir) throws Exception {
        Path json = HfParityTest.qwen3Json();
        Tokenizer hf = TestTokenizers.hf(json);
        Path file = writeModel(hf, dir.resolve("qwen3-tok.gguf"));
        Tokenizer ours = fromFile(file);
        try (LlamaCpp.Model llama = LlamaCpp.load(file)) {
            compare("qwen3 gguf", ours, llama, true);
        }
    }

    @Test
    void llama3GgufMatchesLlamaCpp(@TempDir Path dir) throws Exception {
        Path json = HfParityTest.llama3Json();
        Tokenizer hf = TestTokenizers.hf(json);
        Path file = writeModel(hf, dir.resolve("llama3-tok.gguf"));
        Tokenizer ours = fromFile(file);
        try (LlamaCpp.Model llama = LlamaCpp.load(file)) {
            compare("llama3 gguf", ours, llama, false);
        }
    }

    /** Our tokenizer from the metadata of a GGUF file, read by our GGUF reader. */
    static Tokenizer fromFile(Path gguf) throws Exception {
        try (GgufFile f = GgufFile.open(gguf)) {
            return Tokenizers.fromGgufMetadata(f.metadata());
        }
    }

    /** {@code nfc}: llama.cpp does not apply tokenizer.json's NFC normalizer, so compare on NFC text. */
    private static void compare(String name, Tokenizer ours, LlamaCpp.Model llama, boolean nfc) {
        List<String> corpus = TokenizerCorpus.build(20261126L, HfParityTest.RANDOM_STRINGS);
        List<String> mismatches = new ArrayList<>();
        for (String s0 : corpus) {
            String s = nfc ? Normalizer.normalize(s0, Normalizer.Form.NFC) : s0;
            for (boolean addSpecial : new boolean[]{true, false}) {
                int[] expected = llama.tokenize(s, addSpecial, true);
                int[] actual = ours.encode(s, addSpecial);
                if (!Arrays.equals(expected, actual)) {
                    mismatches.add(HfParityTest.escape(s) + "\n  llama.cpp: " + Arrays.toString(expected)
                            + "\n  ours:      " + Arrays.toString(actual));
                }
            }
        }
        System.out.printf("%s: compared %d strings x 2 against llama.cpp: %d mismatches%n", name, corpus.size(),
                mismatches.size());
        mismatches.stream().limit(12).forEach(System.out::println);
        assertThat(mismatches).isEmpty();
    }

    /**
     * The asset's 1-layer Llama model with its tokenizer replaced by {@code tokenizer}'s GGUF metadata and
     * zero token_embd/output rows for the new vocabulary size.
     */
    static Path writeModel(Tokenizer tokenizer, Path out) throws Exception {
        Path asset = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        int vocab = tokenizer.vocabSize();
        try (GgufFile f = GgufFile.open(asset)) {
            GgufWriter w = new GgufWriter().putAll(f);
            for (String k : f.metadata().keySet()) if (k.startsWith("tokenizer.")) w.remove(k);
            if (f.metadata().containsKey("llama.vocab_size")) w.putUint32("llama.vocab_size", vocab);
            putTokenizer(w, tokenizer.toGgufMetadata());
            for (StoredTensor t : f.tensors()) {
                if (t.name().equals("token_embd.weight") || t.name().equals("output.weight")) {
                    long width = t.dim(1);
                    w.addTensor(t.name(), DType.F32, new long[]{vocab, width}, ch -> {
                        ByteBuffer zeros = ByteBuffer.allocate(1 << 16);
                        long left = 4L * vocab * width;
                        while (left > 0) {
                            zeros.clear().limit((int) Math.min(zeros.capacity(), left));
                            left -= ch.write(zeros);
                        }
                    });
                } else {
                    w.addTensor(t);
                }
            }
            w.write(out);
        }
        return out;
    }

    /** Writes plain-Java tokenizer metadata with the GGUF types llama.cpp expects. */
    static void putTokenizer(GgufWriter w, Map<String, Object> md) {
        md.forEach((k, v) -> {
            switch (k) {
                case "tokenizer.ggml.tokens", "tokenizer.ggml.merges" -> w.putArray(k, GgufValueType.STRING, (List<?>) v);
                case "tokenizer.ggml.token_type" -> w.putArray(k, GgufValueType.INT32, (List<?>) v);
                case "tokenizer.ggml.scores" -> w.putArray(k, GgufValueType.FLOAT32, (List<?>) v);
                default -> {
                    if (v instanceof String s) w.putString(k, s);
                    else if (v instanceof Boolean b) w.putBool(k, b);
                    else if (v instanceof Long l) w.putUint32(k, l);
                    else throw new IllegalArgumentException(k + " = " + v);
                }
            }
        });
    }
}
