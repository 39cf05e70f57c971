package dev.slmops.testkit.llama;

import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A GGUF LoRA adapter on the LM head ({@code output.weight}) of llama-2-tiny-random.gguf changes the logits by
 * exactly {@code scale * alpha / r * B (A h)}, where h is the final hidden state llama.cpp reports: so the
 * adapter is loaded, applied with the right scale, and removed again.
 */
class LlamaCppLoraTest {
    static final int[] PROMPT = {1, 9038, 2501, 263, 931, 17196, 5211};
    static final int N_EMBD = 8, N_VOCAB = 32000, RANK = 2;
    static final float ALPHA = 4f;

    static LlamaCpp.Model model;
    static float[] a; // [RANK][N_EMBD]  lora_a, GGUF ne = [N_EMBD, RANK]
    static float[] b; // [N_VOCAB][RANK] lora_b, GGUF ne = [RANK, N_VOCAB]

    @BeforeAll
    static void load() {
        model = LlamaCpp.load(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"));
        Random rnd = new Random(42);
        a = new float[RANK * N_EMBD];
        b = new float[N_VOCAB * RANK];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat() * 2 - 1;
        for (int i = 0; i < b.length; i++) b[i] = (rnd.nextFloat() * 2 - 1) * 0.1f;
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    static TinyGguf adapterFile(String arch, String tensor) {
        return new TinyGguf()
                .str("general.architecture", arch)
                .str("general.type", "adapter")
                .str("adapter.type", "lora")
                .f32("adapter.lora.alpha", ALPHA)
                .tensor(tensor + ".lora_a", new long[] {N_EMBD, RANK}, a)
                .tensor(tensor + ".lora_b", new long[] {RANK, N_VOCAB}, b);
    }

    @Test
    void loraOnTheLmHeadAddsScaledBaTimesHidden(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("head-lora.gguf");
        adapterFile("llama", "output.weight").write(file);
        float scale = 0.5f;
        try (LlamaCpp.Context ctx = model.newContext(32, true); LlamaCpp.Adapter lora = model.loadAdapter(file)) {
            float[][] base = ctx.logitsAll(PROMPT);
            float[][] hidden = ctx.hiddenAll(PROMPT);
            assertThat(hidden).hasDimensions(PROMPT.length, N_EMBD);

            ctx.setAdapter(lora, scale);
            float[][] adapted = ctx.logitsAll(PROMPT);
            double worst = 0, largest = 0;
            for (int i = 0; i < PROMPT.length; i++) {
                float[] ah = new float[RANK];
                for (int r = 0; r < RANK; r++) {
                    for (int k = 0; k < N_EMBD; k++) ah[r] += a[r * N_EMBD + k] * hidden[i][k];
                }
                for (int v = 0; v < N_VOCAB; v++) {
                    double delta = 0;
                    for (int r = 0; r < RANK; r++) delta += b[v * RANK + r] * ah[r];
                    delta *= scale * ALPHA / RANK;
                    worst = Math.max(worst, Math.abs(adapted[i][v] - base[i][v] - delta));
                    largest = Math.max(largest, Math.abs(delta));
                }
            }
            System.out.printf("LoRA on output.weight: max |delta| %.3g, max error %.3g%n", largest, worst);
            assertThat(largest).isGreaterThan(0.05);
            assertThat(worst).isLessThan(1e-4 * Math.max(1, largest));

            ctx.setAdapter(lora, 0f);
            assertThat(ctx.logitsAll(PROMPT)[PROMPT.length - 1]).containsExactly(base[PROMPT.length - 1]);
            ctx.setAdapter(lora, scale);
            ctx.clearAdapters();
            assertThat(ctx.logitsAll(PROMPT)[PROMPT.length - 1]).containsExactly(base[PROMPT.length - 1]);
        }
    }

    @Test
    void closingAnAdapterRemovesItFromContexts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("head-lora.gguf");
        adapterFile("llama", "output.weight").write(file);
        try (LlamaCpp.Context ctx = model.newContext(32, true)) {
            float[] base = ctx.logitsAll(PROMPT)[PROMPT.length - 1];
            LlamaCpp.Adapter lora = model.loadAdapter(file);
            ctx.setAdapter(lora, 1f);
            assertThat(ctx.logitsAll(PROMPT)[PROMPT.length - 1]).isNotEqualTo(base);
            lora.close();
            assertThat(ctx.logitsAll(PROMPT)[PROMPT.length - 1]).containsExactly(base);
            assertThatThrownBy(() -> ctx.setAdapter(lora, 1f)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        }
    }

    @Test
    void adaptersForAnotherModelAreRefusedWithLlamaCppsReason(@TempDir Path dir) throws Exception {
        Path wrongArch = dir.resolve("qwen2-lora.gguf");
        adapterFile("qwen2", "output.weight").write(wrongArch);
        assertThatThrownBy(() -> model.loadAdapter(wrongArch)).isInstanceOf(LlamaCpp.LlamaException.class)
                .hasMessageContaining("qwen2-lora.gguf").hasMessageContaining("arch mismatch");

        Path wrongTensor = dir.resolve("missing-tensor-lora.gguf");
        adapterFile("llama", "blk.7.attn_q.weight").write(wrongTensor);
        assertThatThrownBy(() -> model.loadAdapter(wrongTensor)).isInstanceOf(LlamaCpp.LlamaException.class)
                .hasMessageContaining("does not exist in base model");
    }
}
