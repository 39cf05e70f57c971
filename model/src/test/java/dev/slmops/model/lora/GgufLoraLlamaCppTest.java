package dev.slmops.model.lora;

import dev.slmops.model.convert.GgufExport;
import dev.slmops.model.format.gguf.GgufLoraFiles;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.llama.LlamaCpp;
import dev.slmops.testkit.llama.LogitsDiff;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A random adapter on every projection of a tiny model of each architecture, written as a GGUF LoRA file and
 * applied by llama.cpp ({@code llama_adapter_lora_init} + {@code llama_set_adapters_lora}, F32 KV cache) to the
 * model's F32 GGUF: its logits equal slmops' with the adapter unmerged (read back from the same GGUF LoRA file)
 * and with it merged into the weights, within 1e-4 relative (Gemma 3: 1e-3, llama.cpp's F16 GELU table; see
 * LlamaCppParityTest). Llama's q/k rows prove the converter's permutation of lora_b. With an F16 adapter file both
 * read the same rounded A/B, but llama.cpp's CPU F16 matmul also rounds the activations to F16 (ggml converts src1
 * to the weight's vec_dot type): held to 3e-3.
 */
class GgufLoraLlamaCppTest {
    static List<String> shapes() {
        return LoraTestModels.SHAPES;
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void llamaCppAppliesOurGgufLoraAsWeDo(String shape, @TempDir Path tmp) throws Exception {
        Path hf = LoraTestModels.model(shape, tmp.resolve("hf"));
        Path gguf = tmp.resolve("model.gguf");
        Path lora = tmp.resolve("adapter.gguf");
        Path loraF16 = tmp.resolve("adapter-f16.gguf");
        LoraAdapter adapter;
        try (ModelFiles files = ModelFiles.open(hf)) {
            GgufExport.write(files, DType.F32, gguf, w -> { });
            adapter = LoraAdapter.init("rand", files.config(), List.of("all-linear"), 4, 16f, true, 5, 0.05);
            GgufLoraFiles.write(adapter, files.config(), lora, DType.F32);
            GgufLoraFiles.write(adapter, files.config(), loraF16, DType.F16);
        }
        int[] tokens = LoraTestModels.tokens(32, 13);
        double tol = shape.equals("tiny-gemma3") ? 1e-3 : 1e-4;
        float[][] unmerged, unmergedF16;
        int V;
        try (LoadedModel ours = LoadedModel.load(gguf, new LoadedModel.Options(128, 2))) {
            V = ours.config().vocabSize();
            LoraAdapter back = GgufLoraFiles.read(lora, ours.config());
            assertThat(back.modules().keySet()).containsExactlyInAnyOrderElementsOf(adapter.modules().keySet());
            unmerged = LoraTestModels.rows(ours.transformer().forward(ours.newCache(), tokens, true, back), V);
            float[][] direct = LoraTestModels.rows(ours.transformer().forward(ours.newCache(), tokens, true, adapter), V);
            LogitsDiff.of(unmerged, direct).assertWithin(1e-5);
            LoraAdapter f16 = GgufLoraFiles.read(loraF16, ours.config()); // F16-rounded values, the same llama.cpp reads
            unmergedF16 = LoraTestModels.rows(ours.transformer().forward(ours.newCache(), tokens, true, f16), V);
        }
        float[][] merged;
        try (LoadedModel m = LoadedModel.load(LoraTestModels.merged(hf, adapter, tmp.resolve("merged")),
                new LoadedModel.Options(128, 2))) {
            merged = LoraTestModels.rows(m.transformer().forward(m.newCache(), tokens, true), V);
        }
        try (LlamaCpp.Model ref = LlamaCpp.load(gguf);
             LlamaCpp.Context ctx = ref.newContext(128, true)) {
            float[][] base = ctx.logitsAll(tokens);
            ctx.clear();
            ctx.setAdapter(ref.loadAdapter(lora), 1f);
            float[][] withLora = ctx.logitsAll(tokens);
            LogitsDiff vsUnmerged = LogitsDiff.of(unmerged, withLora);
            LogitsDiff vsMerged = LogitsDiff.of(merged, withLora);
            System.out.println(shape + ": llama.cpp+LoRA vs unmerged " + vsUnmerged + "; vs merged " + vsMerged
                    + "; adapter effect " + LogitsDiff.of(base, withLora));
            vsUnmerged.assertWithin(tol);
            vsMerged.assertWithin(tol);
            assertThat(LogitsDiff.of(base, withLora).relDiff()).as("the adapter changes llama.cpp's logits").isGreaterThan(1e-2);
            ctx.clearAdapters();
            ctx.clear();
            ctx.setAdapter(ref.loadAdapter(loraF16), 1f);
            LogitsDiff f16 = LogitsDiff.of(unmergedF16, ctx.logitsAll(tokens));
            System.out.println(shape + ": F16 adapter, llama.cpp vs unmerged " + f16);
            f16.assertWithin(3e-3);
        }
    }
}
