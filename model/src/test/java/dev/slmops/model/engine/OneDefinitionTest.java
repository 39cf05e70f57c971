package dev.slmops.model.engine;

import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.RowAdapters;
import dev.slmops.tensor.DType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The two ways through the one Transformer agree: inference (KV cache, a prompt chunk then decode steps, per-sequence
 * adapter) and the training/evaluation pass (whole sequences, no cache, the adapter on every row) give the same
 * logits, for sliding-window, fused-projection and plain architectures. (Each path is also checked on its own
 * against PyTorch and llama.cpp: TorchForwardParityTest, LlamaCppParityTest, train's TorchTrainParityTest.)
 */
class OneDefinitionTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen3", "tiny-phi3", "tiny-gemma3"})
    void theTrainingPassGivesTheLogitsOfInference(String shape, @TempDir Path tmp) throws Exception {
        Path dir = TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig(shape), DType.F32, 5, 0.1),
                null, tmp.resolve("m"), false);
        try (LoadedModel m = LoadedModel.load(dir, new LoadedModel.Options(128, 2))) {
            Transformer t = m.transformer();
            int V = m.config().vocabSize();
            int[] a = {5, 17, 99, 42, 7, 300, 12, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22};
            int[] b = {400, 3, 3, 250, 6};
            for (LoraAdapter adapter : new LoraAdapter[] {null,
                    LoraAdapter.init("test", m.config(), List.of("all-linear"), 4, 8f, false, 3, 0.05)}) {
                // inference: a's first 15 tokens as one chunk, the rest one decode step at a time; b in one chunk
                float[] inferA = new float[a.length * V];
                KvCache ca = m.newCache();
                System.arraycopy(t.forward(ca, java.util.Arrays.copyOf(a, 15), true, adapter), 0, inferA, 0, 15 * V);
                for (int i = 15; i < a.length; i++) {
                    System.arraycopy(t.forward(ca, new int[] {a[i]}, true, adapter), 0, inferA, i * V, V);
                }
                float[] inferB = t.forward(m.newCache(), b, true, adapter);

                // the training pass: both sequences as rows of one batch
                int[] tokens = new int[a.length + b.length];
                System.arraycopy(a, 0, tokens, 0, a.length);
                System.arraycopy(b, 0, tokens, a.length, b.length);
                Transformer.Pass p = t.forward(tokens, new int[] {0, a.length, tokens.length}, RowAdapters.all(adapter),
                        Transformer.Keep.NOTHING);
                float[] logits = new float[tokens.length * V];
                t.output().forward(p.hidden(), tokens.length, logits, m.pool());
                if (adapter != null && adapter.module("lm_head") != null) throw new AssertionError("no head adapter expected");
                if (m.config().finalSoftcap() > 0) Ops.softcap(logits, logits.length, m.config().finalSoftcap());

                String what = shape + (adapter == null ? "" : " with adapter");
                assertThat(maxRelDiff(java.util.Arrays.copyOf(logits, a.length * V), inferA)).as(what + " a").isLessThan(1e-5);
                assertThat(maxRelDiff(java.util.Arrays.copyOfRange(logits, a.length * V, logits.length), inferB))
                        .as(what + " b").isLessThan(1e-5);
                assertThatThrownBy(() -> t.backward(p, new float[tokens.length * m.config().hiddenSize()]))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("Keep.NOTHING");
            }
        }
    }

    /** max |x - y| over max |y|. */
    private static double maxRelDiff(float[] x, float[] y) {
        assertThat(x.length).isEqualTo(y.length);
        double d = 0, m = 0;
        for (int i = 0; i < x.length; i++) {
            d = Math.max(d, Math.abs(x[i] - y[i]));
            m = Math.max(m, Math.abs(y[i]));
        }
        return d / m;
    }
}
