package dev.slmops.model.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits. The chain, in order (Hugging Face's order, which the OpenAI
 * parameters assume): logit bias -> repetition/presence/frequency penalties over the recent tokens ->
 * temperature (0 = argmax, ties to the lowest id) -> top-k -> top-p -> min-p -> a draw from the seeded generator.
 *
 * <p>Not thread-safe: one sampler per sequence (it owns that sequence's random generator).
 */
public final class Sampler {
    private final SamplingParams p;
    private final int vocabSize;
    private final SplittableRandom random;
    private final float[] work;        // [V] adjusted logits, then probabilities
    private final int[] candidates;    // [V] token ids still in play
    private final int[] counts;        // [V] occurrences in the penalty window (scratch)

    public Sampler(SamplingParams params, int vocabSize) {
        this.p = params;
        this.vocabSize = vocabSize;
        this.random = new SplittableRandom(params.seed());
        this.work = new float[vocabSize];
        this.candidates = new int[vocabSize];
        this.counts = new int[vocabSize];
        for (int id : params.logitBias().keySet()) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("logit_bias names token " + id + ", outside the vocabulary [0, "
                        + vocabSize + ")");
            }
        }
    }

    /**
     * @param logits  [V] at {@code off}; not modified
     * @param history every token of the sequence so far (prompt and generated), for the penalties
     * @param historyLength how many entries of history are valid
     */
    public int sample(float[] logits, int off, int[] history, int historyLength) {
        int V = vocabSize;
        System.arraycopy(logits, off, work, 0, V);
        for (var e : p.logitBias().entrySet()) work[e.getKey()] += e.getValue();
        applyPenalties(history, historyLength);

        if (p.temperature() == 0) return argmax(work, V);

        // Probabilities at temperature: softmax(work / T).
        float inv = (float) (1.0 / p.temperature());
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < V; i++) max = Math.max(max, work[i]);
        if (max == Float.NEGATIVE_INFINITY) throw new IllegalStateException("every token is banned by logit_bias");
        double sum = 0;
        for (int i = 0; i < V; i++) {
            float e = (float) Math.exp((work[i] - max) * inv);
            work[i] = e;
            sum += e;
        }
        float pmax = (float) (1.0 / sum); // probability of the most likely token
        for (int i = 0; i < V; i++) work[i] /= (float) sum;

        // No filter (OpenAI's defaults: top_p 1, no top-k or min-p): draw from the whole distribution in id order,
        // without sorting the vocabulary (a 150k-entry sort costs ~10 ms, more than a decode step's share).
        if ((p.topK() == 0 || p.topK() >= V) && p.topP() >= 1 && p.minP() == 0) {
            double u = random.nextDouble();
            int last = 0;
            for (int i = 0; i < V; i++) {
                if (work[i] <= 0) continue;
                last = i;
                u -= work[i];
                if (u < 0) return i;
            }
            return last; // rounding left u >= 0: the last token with any probability
        }

        // Candidates: drop what no later filter could keep (exactly: see the bound below), then sort by probability.
        int n = 0;
        float floor = 0f;
        if (p.minP() > 0) floor = Math.max(floor, (float) (p.minP() * pmax));
        if (p.topP() < 1) floor = Math.max(floor, (float) ((1 - p.topP()) / V / 2)); // excluded mass < (1-topP)/2
        if (p.topK() > 0 && p.topK() < V) floor = Math.max(floor, kthLargest(work, V, p.topK()));
        for (int i = 0; i < V; i++) if (work[i] >= floor && work[i] > 0) candidates[n++] = i;
        n = sortByProbability(n);
        if (p.topK() > 0) n = Math.min(n, p.topK());
        if (p.topP() < 1) {
            double acc = 0;
            for (int i = 0; i < n; i++) {
                acc += work[candidates[i]];
                if (acc >= p.topP()) {
                    n = i + 1;
                    break;
                }
            }
        }
        if (p.minP() > 0) {
            float cut = (float) (p.minP() * work[candidates[0]]);
            int m = 1;
            while (m < n && work[candidates[m]] >= cut) m++;
            n = m;
        }
        double total = 0;
        for (int i = 0; i < n; i++) total += work[candidates[i]];
        double u = random.nextDouble() * total;
        for (int i = 0; i < n; i++) {
            u -= work[candidates[i]];
            if (u < 0) return candidates[i];
        }
        return candidates[n - 1];
    }

    private void applyPenalties(int[] history, int historyLength) {
        boolean rep = p.repetitionPenalty() != 1.0;
        boolean pres = p.presencePenalty() != 0, freq = p.frequencyPenalty() != 0;
        if (!rep && !pres && !freq) return;
        int from = p.penaltyLastN() < 0 ? 0 : Math.max(0, historyLength - p.penaltyLastN());
        for (int i = from; i < historyLength; i++) counts[history[i]]++;
        for (int i = from; i < historyLength; i++) {
            int t = history[i];
            int c = counts[t];
            if (c == 0) continue; // already applied for this token
            float l = work[t];
            if (rep) l = l > 0 ? (float) (l / p.repetitionPenalty()) : (float) (l * p.repetitionPenalty());
            l -= (float) (c * p.frequencyPenalty() + p.presencePenalty());
            work[t] = l;
            counts[t] = 0;
        }
    }

    /** Sorts candidates[0..n) by descending probability, ties by ascending id (deterministic). */
    private int sortByProbability(int n) {
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            // Probabilities are non-negative floats: their bit patterns order like the values.
            long bits = Float.floatToRawIntBits(work[candidates[i]]);
            keys[i] = ((0x7fffffffL - bits) << 32) | candidates[i];
        }
        Arrays.sort(keys);
        for (int i = 0; i < n; i++) candidates[i] = (int) keys[i];
        return n;
    }

    /** The k-th largest of x[0..n) (a min-heap of the k best: O(n log k), no full sort of a 150k vocabulary). */
    static float kthLargest(float[] x, int n, int k) {
        float[] heap = new float[k];
        int size = 0;
        for (int i = 0; i < n; i++) {
            float v = x[i];
            if (size < k) {
                int j = size++;
                while (j > 0 && heap[(j - 1) / 2] > v) {
                    heap[j] = heap[(j - 1) / 2];
                    j = (j - 1) / 2;
                }
                heap[j] = v;
            } else if (v > heap[0]) {
                int j = 0;
                while (true) { // sift v down from the root
                    int c = 2 * j + 1;
                    if (c >= k) break;
                    if (c + 1 < k && heap[c + 1] < heap[c]) c++;
                    if (heap[c] >= v) break;
                    heap[j] = heap[c];
                    j = c;
                }
                heap[j] = v;
            }
        }
        return heap[0];
    }

    static int argmax(float[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
