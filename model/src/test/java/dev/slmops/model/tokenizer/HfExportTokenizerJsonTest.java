package dev.slmops.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.convert.GgufExport;
import dev.slmops.model.convert.HfExport;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.ProjectFiles;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End to end: {@code HfExport.write} of a GGUF file gives a Hugging Face directory that HfModelDir opens and whose
 * tokenizer files Rust tokenizers load (the directory, as DJL reads it) and tokenize as llama.cpp does the GGUF.
 */
class HfExportTokenizerJsonTest {

    @Test
    void ggufOfATrainedByteLevelModelExportsToALoadableHfDirectory(@TempDir Path tmp) throws Exception {
        Path hf = TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig("tiny-qwen3"), DType.F32, 7, 0.1),
                null, tmp.resolve("hf"), false);
        Path gguf = tmp.resolve("model.gguf");
        try (ModelFiles files = ModelFiles.open(hf)) {
            GgufExport.write(files, DType.F32, gguf, w -> { });
        }
        Path out = exportAndCompare(gguf, tmp.resolve("out"), 300);
        // and the exported file tokenizes as the trained tokenizer.json it came from (on NFC text: GGUF has no NFC)
        try (HuggingFaceTokenizer original = HfParityTest.rust(hf.resolve("tokenizer.json"));
             HuggingFaceTokenizer exported = HfParityTest.rust(out.resolve("tokenizer.json"))) {
            for (String s0 : TokenizerCorpus.build(5L, 300)) {
                String s = Normalizer.normalize(s0, Normalizer.Form.NFC);
                assertThat(exported.encode(s, true, false).getIds()).as(HfParityTest.escape(s))
                        .containsExactly(original.encode(s, true, false).getIds());
            }
        }
    }

    @Test
    void llama2AssetExportsToALoadableHfDirectory(@TempDir Path tmp) throws Exception {
        Path out = exportAndCompare(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"), tmp.resolve("out"), 300);
        JsonNode config = new ObjectMapper().readTree(out.resolve("tokenizer_config.json").toFile());
        assertThat(config.path("bos_token").asText()).isEqualTo("<s>");
        assertThat(config.path("unk_token").asText()).isEqualTo("<unk>");
        assertThat(config.path("add_bos_token").asBoolean()).isTrue();
        assertThat(config.path("tokenizer_class").asText()).isEqualTo("PreTrainedTokenizerFast");
    }

    /** Exports, opens, and compares Rust and slmops on the exported directory with llama.cpp on the GGUF. */
    private static Path exportAndCompare(Path gguf, Path out, int randomStrings) throws Exception {
        try (ModelFiles src = ModelFiles.open(gguf)) {
            HfExport.write(src, DType.F32, out, false, w -> { });
            Tokenizer fromGguf = src.tokenizer();
            try (HfModelDir dir = HfModelDir.open(out);
                 HuggingFaceTokenizer rust = HuggingFaceTokenizer.newInstance(dir.dir(),
                         Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"));
                 ModelFiles exported = ModelFiles.open(out);
                 LlamaCpp.Model llama = LlamaCpp.load(gguf)) {
                Tokenizer reread = exported.tokenizer();
                assertThat(reread.vocabSize()).isEqualTo(fromGguf.vocabSize());
                assertThat(reread.specials().bos()).isEqualTo(fromGguf.specials().bos());
                List<String> corpus = TokenizerCorpus.build(11L, randomStrings);
                for (String s : corpus) {
                    int[] expected = llama.tokenize(s, true, true);
                    assertThat(fromGguf.encode(s, true)).as("slmops on the GGUF: %s", HfParityTest.escape(s))
                            .containsExactly(expected);
                    assertThat(rust.encode(s, true, false).getIds()).as("Rust on the export: %s", HfParityTest.escape(s))
                            .containsExactly(Arrays.stream(expected).asLongStream().toArray());
                    assertThat(reread.encode(s, true)).as("slmops on the export: %s", HfParityTest.escape(s))
                            .containsExactly(expected);
                }
                System.out.printf("%s -> %s: Rust tokenizers and slmops on the export give llama.cpp's ids (on the "
                        + "GGUF) on %d strings%n", gguf.getFileName(), out.getFileName(), corpus.size());
            }
        }
        return out;
    }
}
