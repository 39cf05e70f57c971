package dev.slmops.model.engine;

import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.tensor.DType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Several sequences in one forward call (what the server's continuous batching does) give each sequence the
 * logits it gets alone: rows of different sequences never see each other's keys.
 */
class BatchedSequencesTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-gemma3"})
    void aBatchOfSequencesEqualsEachSequenceAlone(String shape, @TempDir Path tmp) throws Exception {
        Path dir = TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig(shape), DType.F32, 3, 0.1),
                null, tmp.resolve("m"), false);
        try (LoadedModel m = LoadedModel.load(dir, new LoadedModel.Options(128, 2))) {
            Transformer t = m.transformer();
            int V = m.config().vocabSize();
            int[] a = {5, 17, 99, 42, 7, 300, 12, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
            int[] b = {400, 3, 3, 250};
            // Alone: a's prompt then one more token; b's prompt.
            KvCache ca = m.newCache(), cb = m.newCache();
            t.forward(ca, a, false);
            float[] aNext = t.forward(ca, new int[]{77}, false);
            float[] bAlone = t.forward(cb, b, true);
            // Together: a's prompt alone first, then a's decode step batched with b's whole prompt.
            KvCache ca2 = m.newCache(), cb2 = m.newCache();
            t.forward(ca2, a, false);
            float[][] both = t.forward(List.of(new Transformer.SequenceInput(ca2, new int[]{77}, false),
                    new Transformer.SequenceInput(cb2, b, true)));
            assertThat(maxAbsDiff(both[0], aNext)).isLessThan(1e-5f);
            assertThat(maxAbsDiff(both[1], bAlone)).isLessThan(1e-5f);
            assertThat(both[1]).hasSize(b.length * V);
            assertThat(ca2.length()).isEqualTo(a.length + 1);
            assertThat(cb2.length()).isEqualTo(b.length);
        }
    }

    /** A warm-up run (a server's, at load) leaves nothing behind: the logits after it are the logits before. */
    @org.junit.jupiter.api.Test
    void warmUpLeavesTheModelAsLoaded(@TempDir Path tmp) throws Exception {
        Path dir = TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig("tiny-llama"), DType.F32, 3, 0.1),
                null, tmp.resolve("m"), false);
        int[] prompt = {5, 17, 99, 42, 7};
        for (int context : new int[] {128, 8}) { // 8: shorter warm-up sequences than its 20 prompt tokens
            try (LoadedModel m = LoadedModel.load(dir, new LoadedModel.Options(context, 2))) {
                float[] before = m.transformer().forward(m.newCache(), prompt, true);
                m.warmUp(4, KvCache.Type.F32);
                m.warmUp(1, KvCache.Type.F16);
                assertThat(m.transformer().forward(m.newCache(), prompt, true)).containsExactly(before);
                assertThatThrownBy(() -> m.warmUp(0, KvCache.Type.F32)).hasMessageContaining("at least 1 sequence");
            }
        }
    }

    /** The server's variant: same logits as {@link Transformer#forward(List)}, [1, V] rows in arrays reused by the next call. */
    @org.junit.jupiter.api.Test
    void reusedLogitArraysHoldTheSameValuesAndAreReusedByTheNextStep(@TempDir Path tmp) throws Exception {
        Path dir = TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig("tiny-llama"), DType.F32, 3, 0.1),
                null, tmp.resolve("m"), false);
        try (LoadedModel m = LoadedModel.load(dir, new LoadedModel.Options(128, 2))) {
            Transformer t = m.transformer();
            int V = m.config().vocabSize();
            int[] a = {5, 17, 99, 42}, b = {400, 3, 3, 250, 8};
            KvCache ca = m.newCache(), cb = m.newCache(), ca2 = m.newCache(), cb2 = m.newCache();
            float[][] fresh = t.forward(List.of(new Transformer.SequenceInput(ca, a, false),
                    new Transformer.SequenceInput(cb, b, true)));
            float[][] reused = t.forwardReusingLogits(List.of(new Transformer.SequenceInput(ca2, a, false),
                    new Transformer.SequenceInput(cb2, b, true)));
            assertThat(reused[0]).containsExactly(fresh[0]);
            assertThat(reused[1]).containsExactly(fresh[1]).hasSize(b.length * V); // [T, V]: a fresh array
            float[] firstRow = reused[0];
            float[][] next = t.forwardReusingLogits(List.of(new Transformer.SequenceInput(ca2, new int[]{9}, false),
                    new Transformer.SequenceInput(cb2, new int[]{10}, false)));
            assertThat(next[0]).isSameAs(firstRow).hasSize(V);
            float[] alone = t.forward(ca, new int[]{9}, false);
            assertThat(next[0]).containsExactly(alone);
            // a single sequence too: the same values as the allocating call
            float[][] one = t.forwardReusingLogits(List.of(new Transformer.SequenceInput(cb2, new int[]{11}, false)));
            t.forward(cb, new int[]{10}, false);
            assertThat(one[0]).isSameAs(firstRow).containsExactly(t.forward(cb, new int[]{11}, false));
        }
    }

    private static float maxAbsDiff(float[] x, float[] y) {
        assertThat(x.length).isEqualTo(y.length);
        float m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

}
