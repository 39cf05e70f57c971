package dev.slmops.model.format.gguf;

import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.ProjectFiles;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** GGUF files written by slmops load in llama.cpp (the reference we did not write) and mean the same to it. */
class GgufLlamaCppTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} weights, {1} vocabulary")
    @CsvSource({"F32, SPM", "F16, SPM", "BF16, SPM", "F16, GPT2"})
    void tinyRandomLlamaLoadsWithTheSameShapeVocabAndMetadata(DType weights, GgufSamples.Vocab vocab) throws Exception {
        Path p = dir.resolve("tiny-" + weights + "-" + vocab + ".gguf");
        GgufSamples.tinyLlama(weights, vocab, 2, 64, 4, 2, 128, 42).write(p);
        try (GgufFile ours = GgufFile.open(p); LlamaCpp.Model model = LlamaCpp.load(p)) {
            Map<String, Object> meta = ours.metadata();
            @SuppressWarnings("unchecked") List<String> tokens = (List<String>) meta.get("tokenizer.ggml.tokens");
            long params = ours.tensors().stream().mapToLong(StoredTensor::elementCount).sum();

            assertThat(model.nParams()).isEqualTo(params);
            assertThat(model.nVocab()).isEqualTo(tokens.size());
            assertThat(model.nEmbd()).isEqualTo(64);
            assertThat(model.nLayer()).isEqualTo(2);
            assertThat(model.nHead()).isEqualTo(4);
            assertThat(model.nHeadKv()).isEqualTo(2);
            assertThat(model.nCtxTrain()).isEqualTo(256);
            for (int i = 0; i < tokens.size(); i++) assertThat(model.tokenText(i)).as("token " + i).isEqualTo(tokens.get(i));

            // every scalar key, as llama.cpp renders it
            Map<String, String> theirs = model.metadata();
            int compared = 0;
            for (Map.Entry<String, Object> e : meta.entrySet()) {
                Object v = e.getValue();
                if (v instanceof List<?>) continue;
                assertThat(theirs).as(e.getKey()).containsKey(e.getKey());
                String t = theirs.get(e.getKey());
                if (v instanceof Float f) assertThat(Float.parseFloat(t)).as(e.getKey()).isCloseTo(f, org.assertj.core.data.Percentage.withPercentage(1e-3));
                else assertThat(t).as(e.getKey()).isEqualTo(String.valueOf(v));
                compared++;
            }
            assertThat(compared).isGreaterThanOrEqualTo(15);

            try (LlamaCpp.Context ctx = model.newContext(64, true)) {
                int[] prompt = model.tokenize("Once upon a time", true, false);
                float[][] logits = ctx.logitsAll(prompt);
                assertThat(logits).hasNumberOfRows(prompt.length);
                for (float[] row : logits) {
                    assertThat(row).hasSize(tokens.size());
                    for (float x : row) assertThat(Float.isFinite(x)).isTrue();
                }
                assertThat(logits[prompt.length - 1]).isNotEqualTo(logits[0]);
            }
        }
    }

    @Test
    void reEncodedLlamaCppFileGivesTheKnownGreedyContinuation() throws Exception {
        // llama.cpp's own result on the F16 original (assets/README.md); we rewrite every F16 tensor as F32
        // (exact) and check llama.cpp continues the same way from our file.
        int[] known = {17196, 5211, 21440, 25431, 7455, 3285, 29710, 4660};
        Path asset = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        Path f32 = dir.resolve("tiny-f32.gguf");
        try (GgufFile original = GgufFile.open(asset)) {
            GgufWriter w = new GgufWriter().putAll(original).putUint32("general.file_type", 0);
            for (StoredTensor t : original.tensors()) {
                w.addTensor(t.name(), DType.F32, t.shape(), TensorBytes.converting(t, DType.F32));
            }
            w.write(f32);
        }
        try (GgufFile ours = GgufFile.open(f32)) {
            assertThat(ours.tensors()).allMatch(t -> t.dtype() == DType.F32);
        }
        for (Path p : List.of(asset, f32)) {
            try (LlamaCpp.Model model = LlamaCpp.load(p); LlamaCpp.Context ctx = model.newContext(64, true)) {
                int[] prompt = model.tokenize("Once upon a time", true, false);
                assertThat(prompt).containsExactly(1, 9038, 2501, 263, 931);
                assertThat(ctx.greedy(prompt, known.length)).as(p.toString()).containsExactly(known);
            }
        }
    }
}
