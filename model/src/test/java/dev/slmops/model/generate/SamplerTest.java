package dev.slmops.model.generate;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerTest {

    private static SamplingParams.Builder plain() {
        return SamplingParams.builder().temperature(1).topK(0).topP(1).minP(0);
    }

    @Test
    void greedyPicksTheArgmaxAndTheLowestIdOnTies() {
        Sampler s = new Sampler(SamplingParams.greedy(1), 5);
        assertThat(s.sample(new float[]{0, 3, 1, 3, 2}, 0, new int[0], 0)).isEqualTo(1);
    }

    @Test
    void drawsFollowTheSoftmaxAtTemperatureOne() {
        float[] logits = {1.0f, 2.0f, 0.5f, -1f, 1.5f};
        double[] expected = softmax(logits, 1.0);
        Sampler s = new Sampler(plain().seed(42).build(), logits.length);
        int n = 200_000;
        int[] counts = new int[logits.length];
        for (int i = 0; i < n; i++) counts[s.sample(logits, 0, new int[0], 0)]++;
        for (int i = 0; i < logits.length; i++) {
            assertThat((double) counts[i] / n).as("frequency of token %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(0.005));
        }
    }

    @Test
    void sameSeedSameSequence() {
        float[] logits = {0.3f, 0.1f, 0.2f, 0.25f, 0.15f};
        Sampler a = new Sampler(plain().seed(7).build(), 5), b = new Sampler(plain().seed(7).build(), 5);
        for (int i = 0; i < 100; i++) {
            assertThat(a.sample(logits, 0, new int[0], 0)).isEqualTo(b.sample(logits, 0, new int[0], 0));
        }
    }

    @Test
    void topPKeepsExactlyTheNucleusANaiveSortGives() {
        float[] logits = {2.0f, 1.0f, 0.9f, 0.1f, -0.5f, 1.8f, 0.0f};
        double topP = 0.8;
        double[] p = softmax(logits, 1.0);
        // Naive nucleus: sort by probability, keep until the running sum reaches topP.
        Integer[] order = {0, 1, 2, 3, 4, 5, 6};
        java.util.Arrays.sort(order, (x, y) -> Double.compare(p[y], p[x]));
        Set<Integer> nucleus = new HashSet<>();
        double acc = 0;
        for (int id : order) {
            nucleus.add(id);
            acc += p[id];
            if (acc >= topP) break;
        }
        Sampler s = new Sampler(plain().topP(topP).seed(1).build(), logits.length);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 20_000; i++) seen.add(s.sample(logits, 0, new int[0], 0));
        assertThat(seen).isEqualTo(nucleus);
    }

    @Test
    void topKAndMinPRestrictTheCandidates() {
        float[] logits = {5f, 4.9f, 4.8f, 0f, -3f};
        Set<Integer> seen = new HashSet<>();
        Sampler k2 = new Sampler(plain().topK(2).seed(3).build(), 5);
        for (int i = 0; i < 5_000; i++) seen.add(k2.sample(logits, 0, new int[0], 0));
        assertThat(seen).containsExactlyInAnyOrder(0, 1);
        seen.clear();
        Sampler minP = new Sampler(plain().minP(0.5).seed(3).build(), 5); // keeps p >= 0.5 * pmax: ids 0, 1, 2
        for (int i = 0; i < 5_000; i++) seen.add(minP.sample(logits, 0, new int[0], 0));
        assertThat(seen).containsExactlyInAnyOrder(0, 1, 2);
    }

    @Test
    void penaltiesAndBiasMatchTheirDefinitions() {
        float[] logits = {2.0f, 1.9f, -1.0f, 0.5f};
        int[] history = {0, 0, 2};
        // Naive: repetition 2 divides positive / multiplies negative; frequency 0.1 per count; presence 0.2 once.
        double[] adj = {2.0 / 2 - 2 * 0.1 - 0.2, 1.9, -1.0 * 2 - 0.1 - 0.2, 0.5 + 1.5};
        int expected = 0;
        for (int i = 1; i < adj.length; i++) if (adj[i] > adj[expected]) expected = i;
        Sampler s = new Sampler(SamplingParams.greedy(1).toBuilder().repetitionPenalty(2).frequencyPenalty(0.1)
                .presencePenalty(0.2).logitBias(Map.of(3, 1.5f)).build(), 4);
        assertThat(s.sample(logits, 0, history, history.length)).isEqualTo(expected).isEqualTo(3);
    }

    @Test
    void invalidValuesAreRejectedWithTheirRange() {
        assertThatThrownBy(() -> plain().temperature(Double.NaN).build()).hasMessageContaining("temperature must be in [0.0, 100.0]");
        assertThatThrownBy(() -> plain().topP(0).build()).hasMessageContaining("top_p must be in (0, 1]");
        assertThatThrownBy(() -> plain().topK(-1).build()).hasMessageContaining("top_k");
        assertThatThrownBy(() -> plain().maxTokens(-5).build()).hasMessageContaining("max_tokens must be >= 0");
        assertThatThrownBy(() -> plain().logitBias(Map.of(1, 200f)).build()).hasMessageContaining("[-100, 100]");
        assertThatThrownBy(() -> plain().stopStrings(List.of("")).build()).hasMessageContaining("stop strings");
        assertThatThrownBy(() -> new Sampler(plain().logitBias(Map.of(9, 1f)).build(), 5)).hasMessageContaining("outside the vocabulary");
    }

    @Test
    void logprobsAreTheLogSoftmaxWithTheBestAlternativesFirst() {
        float[] logits = {1f, 3f, 2f, 0f};
        double[] p = softmax(logits, 1.0);
        TokenLogprobs lp = TokenLogprobs.of(logits, 0, 4, 2, 3);
        assertThat((double) lp.logprob()).isCloseTo(Math.log(p[2]), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(lp.topTokens()).containsExactly(1, 2, 0);
        assertThat((double) lp.topLogprobs()[0]).isCloseTo(Math.log(p[1]), org.assertj.core.data.Offset.offset(1e-6));
    }

    private static double[] softmax(float[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / t);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }
}
