package dev.slmops.testkit.llama;

import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What an engine-parity test needs from llama.cpp: per-position logits of a 64-token prompt, deterministic and
 * comparable with {@link LogitsDiff}; the size of llama.cpp's own rounding effects (F16 KV cache, F16 weights);
 * contexts usable from parallel threads.
 */
class LlamaCppParityTest {
    static final String TEXT = "Once upon a time, in a small village by the sea, there lived an old fisherman "
            + "who told stories to the children every evening. One day a storm came and the boats could not "
            + "go out, so the children gathered around the fire to hear the longest story of all, "
            + "the one about the whale that swallowed the moon and the girl who sang it back into the sky.";

    static int[] prompt64(LlamaCpp.Model model) {
        int[] ids = model.tokenize(TEXT, true, false);
        assertThat(ids.length).isGreaterThanOrEqualTo(64);
        return Arrays.copyOf(ids, 64);
    }

    @Test
    void logitsOfA64TokenPromptAreDeterministicAndComparable() {
        Path gguf = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        int[] tokens;
        float[][] again, f16Kv;
        try (LlamaCpp.Model model = LlamaCpp.load(gguf)) {
            tokens = prompt64(model);
            try (LlamaCpp.Context ctx = model.newContext(64, true)) {
                again = ctx.logitsAll(tokens);
            }
            try (LlamaCpp.Context ctx = model.newContext(64, false)) {
                f16Kv = ctx.logitsAll(tokens);
            }
        }
        float[][] reference = LlamaCpp.referenceLogits(gguf, tokens);
        assertThat(reference).hasDimensions(64, 32000);
        for (float[] row : reference) for (float v : row) assertThat(Float.isFinite(v)).isTrue();
        assertThat(LogitsDiff.of(again, reference).relDiff()).isZero();
        LogitsDiff kv = LogitsDiff.of(f16Kv, reference);
        System.out.println("64 tokens, F16 vs F32 KV cache: " + kv);
        assertThat(kv.relDiff()).isGreaterThan(0).isLessThan(1e-2);
    }

    @Test
    void f32ConversionShowsTheF16WeightRounding(@TempDir Path dir) {
        Path f16 = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        Path f32 = dir.resolve("tiny-f32.gguf");
        LlamaCpp.quantize(f16, f32, LlamaCpp.FTYPE_ALL_F32, 2);
        int[] tokens;
        try (LlamaCpp.Model model = LlamaCpp.load(f32)) {
            assertThat(model.metaString("general.file_type")).isEqualTo("0");
            tokens = prompt64(model);
        }
        // same weights (F16 values widened exactly); differences come from ggml rounding activations to F16
        LogitsDiff d = LogitsDiff.of(LlamaCpp.referenceLogits(f32, tokens), LlamaCpp.referenceLogits(f16, tokens));
        System.out.println("64 tokens, F32 vs F16 weights: " + d);
        assertThat(d.relDiff()).isLessThan(1e-2);
    }

    @Test
    void contextsOfOneModelRunInParallelThreads() throws Exception {
        try (LlamaCpp.Model model = LlamaCpp.load(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"));
             ExecutorService pool = Executors.newFixedThreadPool(2)) {
            LlamaCpp.Context a = model.newContext(64, true);
            LlamaCpp.Context b = model.newContext(64, true);
            int[] tokens = prompt64(model);
            Future<float[][]> fa = pool.submit(() -> {
                float[][] out = null;
                for (int i = 0; i < 2; i++) out = a.logitsAll(tokens);
                return out;
            });
            Future<int[]> fb = pool.submit(() -> {
                int[] out = null;
                for (int i = 0; i < 2; i++) out = b.greedy(LlamaCppTest.ONCE_UPON_A_TIME, 16);
                return out;
            });
            assertThat(fb.get()).containsExactly(LlamaCppTest.GREEDY_16);
            float[][] serial = b.logitsAll(tokens);
            assertThat(LogitsDiff.of(fa.get(), serial).relDiff()).isZero();
        } // closing the model closed both contexts
    }

    @Test
    void logitsDiffNamesTheWorstPlace() {
        float[][] ref = {{1f, 2f, 3f}, {10f, -20f, 0f}};
        float[][] ours = {{1f, 2f, 3.001f}, {10f, -20.01f, 0f}};
        LogitsDiff d = LogitsDiff.of(ours, ref);
        // row 0: 0.001 / 3 = 3.3e-4; row 1: 0.01 / 20 = 5e-4 -> row 1 is worse, relative to its own scale
        assertThat(d.position()).isEqualTo(1);
        assertThat(d.token()).isEqualTo(1);
        assertThat(d.relDiff()).isCloseTo(5e-4, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(d.within(1e-3)).isTrue();
        assertThatThrownBy(() -> d.assertWithin(1e-4)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("position 1 token 1");
        assertThat(LogitsDiff.of(new float[][] {{Float.NaN}}, new float[][] {{0f}}).within(1e9)).isFalse();
        assertThatThrownBy(() -> LogitsDiff.of(new float[1][2], new float[1][3]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
