package dev.slmops.model.lora;

import dev.slmops.model.engine.KvCache;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.format.peft.PeftAdapterFiles;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.llama.LogitsDiff;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The engine's unmerged LoRA path (y = W x + scale B(A x) at every projection) against the same model with the
 * adapter merged into its weights, per architecture (Phi-3's fused qkv_proj/gate_up_proj included); and a batch that
 * mixes sequences with different adapters and none gives each sequence what it gets alone.
 */
class LoraEngineTest {
    static List<String> shapes() {
        return LoraTestModels.SHAPES;
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void unmergedEqualsMerged(String shape, @TempDir Path tmp) throws Exception {
        Path hf = LoraTestModels.model(shape, tmp.resolve("hf"));
        int[] tokens = LoraTestModels.tokens(24, 5);
        float[] unmerged, base;
        LoraAdapter adapter;
        try (LoadedModel m = LoadedModel.load(hf, new LoadedModel.Options(64, 2))) {
            adapter = LoraTestModels.adapter(m.config(), 3);
            unmerged = m.transformer().forward(m.newCache(), tokens, true, adapter);
            base = m.transformer().forward(m.newCache(), tokens, true);
        }
        Path merged = LoraTestModels.merged(hf, adapter, tmp.resolve("merged"));
        try (LoadedModel m = LoadedModel.load(merged, new LoadedModel.Options(64, 2))) {
            int V = m.config().vocabSize();
            float[] ref = m.transformer().forward(m.newCache(), tokens, true);
            LogitsDiff diff = LogitsDiff.of(LoraTestModels.rows(unmerged, V), LoraTestModels.rows(ref, V));
            LogitsDiff effect = LogitsDiff.of(LoraTestModels.rows(base, V), LoraTestModels.rows(ref, V));
            System.out.println(shape + ": unmerged vs merged " + diff + "; base vs merged " + effect);
            diff.assertWithin(1e-4);
            assertThat(effect.relDiff()).as("the adapter changes the logits").isGreaterThan(1e-2);
        }
    }

    @Test
    void aBatchMixesAdaptersPerSequence(@TempDir Path tmp) throws Exception {
        Path hf = LoraTestModels.model("tiny-qwen3", tmp.resolve("hf"));
        try (LoadedModel m = LoadedModel.load(hf, new LoadedModel.Options(64, 2))) {
            Transformer tr = m.transformer();
            LoraAdapter a1 = LoraTestModels.adapter(m.config(), 1), a2 = LoraTestModels.adapter(m.config(), 2);
            int[] t1 = LoraTestModels.tokens(9, 1), t2 = LoraTestModels.tokens(5, 2), t3 = LoraTestModels.tokens(7, 3);
            float[] alone1 = tr.forward(m.newCache(), t1, true, a1);
            float[] alone2 = tr.forward(m.newCache(), t2, true, null);
            float[] alone3 = tr.forward(m.newCache(), t3, true, a2);
            float[][] batch = tr.forward(List.of(new Transformer.SequenceInput(m.newCache(), t1, true, a1),
                    new Transformer.SequenceInput(m.newCache(), t2, true),
                    new Transformer.SequenceInput(m.newCache(), t3, true, a2)));
            int V = m.config().vocabSize();
            LogitsDiff.of(LoraTestModels.rows(batch[0], V), LoraTestModels.rows(alone1, V)).assertWithin(1e-5);
            LogitsDiff.of(LoraTestModels.rows(batch[1], V), LoraTestModels.rows(alone2, V)).assertWithin(1e-5);
            LogitsDiff.of(LoraTestModels.rows(batch[2], V), LoraTestModels.rows(alone3, V)).assertWithin(1e-5);
            // decode continues with the adapter from the cache the prompt filled
            KvCache c = m.newCache();
            tr.forward(c, t1, false, a1);
            float[] next = tr.forward(c, new int[] {42}, false, a1);
            int[] all = java.util.Arrays.copyOf(t1, t1.length + 1);
            all[t1.length] = 42;
            float[] full = tr.forward(m.newCache(), all, false, a1);
            LogitsDiff.of(new float[][] {next}, new float[][] {full}).assertWithin(1e-5);
        }
    }

    @Test
    void zeroBIsTheBaseModelAndPeftRoundTripKeepsLogits(@TempDir Path tmp) throws Exception {
        Path hf = LoraTestModels.model("tiny-llama", tmp.resolve("hf"));
        try (LoadedModel m = LoadedModel.load(hf, new LoadedModel.Options(64, 2))) {
            int[] tokens = LoraTestModels.tokens(12, 9);
            LoraAdapter fresh = LoraAdapter.init("fresh", m.config(), List.of("q_proj", "v_proj"), 8, 16, true, 1, 0);
            assertThat(fresh.modules()).hasSize(2 * m.config().numLayers());
            assertThat(m.transformer().forward(m.newCache(), tokens, true, fresh))
                    .containsExactly(m.transformer().forward(m.newCache(), tokens, true));

            LoraAdapter a = LoraTestModels.adapter(m.config(), 4);
            PeftAdapterFiles.write(a, tmp.resolve("peft"), DType.F32, "tiny");
            LoraAdapter back = PeftAdapterFiles.read(tmp.resolve("peft"));
            assertThat(back.modules().keySet()).containsExactlyInAnyOrderElementsOf(a.modules().keySet());
            assertThat(m.transformer().forward(m.newCache(), tokens, true, back))
                    .containsExactly(m.transformer().forward(m.newCache(), tokens, true, a));
        }
    }

    @Test
    void anAdapterForAnotherModelIsRefusedClearly(@TempDir Path tmp) throws Exception {
        Path llama = LoraTestModels.model("tiny-llama", tmp.resolve("llama"));
        Path phi = LoraTestModels.model("tiny-phi3", tmp.resolve("phi"));
        LoraAdapter forPhi;
        try (LoadedModel m = LoadedModel.load(phi, new LoadedModel.Options(64, 2))) {
            forPhi = LoraTestModels.adapter(m.config(), 1);
        }
        try (LoadedModel m = LoadedModel.load(llama, new LoadedModel.Options(64, 2))) {
            assertThatThrownBy(() -> m.transformer().forward(m.newCache(), new int[] {5}, false, forPhi))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("qkv_proj")
                    .hasMessageContaining("another base model");
        }
    }
}
