package dev.slmops.model.generate;

import java.util.List;
import java.util.Map;

/**
 * How the next token is chosen. Defaults match what llama.cpp and the OpenAI API use when a field is absent.
 *
 * @param temperature       0 = greedy (argmax); otherwise logits are divided by it. Range [0, 100].
 * @param topK              keep the k most likely tokens (0 = off)
 * @param topP              keep the smallest set whose probability reaches p (1 = off). Range (0, 1].
 * @param minP              drop tokens below minP * p(most likely) (0 = off). Range [0, 1].
 * @param repetitionPenalty llama.cpp/HF style over the last {@code penaltyLastN} tokens: positive logits divided,
 *                          negative multiplied (1 = off). Range (0, 10].
 * @param presencePenalty   OpenAI style: subtracted once from every token already generated. Range [-2, 2].
 * @param frequencyPenalty  OpenAI style: subtracted per occurrence. Range [-2, 2].
 * @param penaltyLastN      how many recent tokens the penalties look at (-1 = the whole context)
 * @param seed              random seed: the same seed, prompt and parameters give the same output
 * @param logitBias         token id -> value added to its logit (-100 bans, +100 forces) as OpenAI's logit_bias
 * @param maxTokens         tokens to generate at most (>= 0; 0 = only score the prompt)
 * @param stopStrings       generation ends before the first occurrence of any of these in the output text
 * @param stopTokens        token ids that end generation (besides the tokenizer's end-of-generation tokens)
 * @param topLogprobs       how many alternatives to report with each token's log-probability (0 = none; -1 = no
 *                          log-probabilities at all)
 */
public record SamplingParams(double temperature, int topK, double topP, double minP,
                             double repetitionPenalty, double presencePenalty, double frequencyPenalty,
                             int penaltyLastN, long seed, Map<Integer, Float> logitBias, int maxTokens,
                             List<String> stopStrings, List<Integer> stopTokens, int topLogprobs) {

    public SamplingParams {
        logitBias = Map.copyOf(logitBias);
        stopStrings = List.copyOf(stopStrings);
        stopTokens = List.copyOf(stopTokens);
        range("temperature", temperature, 0, 100);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0 (0 disables it), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        range("min_p", minP, 0, 1);
        if (!(repetitionPenalty > 0 && repetitionPenalty <= 10)) {
            throw new IllegalArgumentException("repetition_penalty must be in (0, 10], got " + repetitionPenalty);
        }
        range("presence_penalty", presencePenalty, -2, 2);
        range("frequency_penalty", frequencyPenalty, -2, 2);
        if (penaltyLastN < -1) throw new IllegalArgumentException("penalty_last_n must be >= -1, got " + penaltyLastN);
        if (maxTokens < 0) throw new IllegalArgumentException("max_tokens must be >= 0, got " + maxTokens);
        if (topLogprobs < -1 || topLogprobs > 20) {
            throw new IllegalArgumentException("top_logprobs must be in [0, 20], got " + topLogprobs);
        }
        for (var e : logitBias.entrySet()) {
            float b = e.getValue();
            if (!(b >= -100 && b <= 100)) {
                throw new IllegalArgumentException("logit_bias for token " + e.getKey() + " must be in [-100, 100], got " + b);
            }
        }
        for (String s : stopStrings) {
            if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        }
    }

    private static void range(String name, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) { // also rejects NaN
            throw new IllegalArgumentException(name + " must be in [" + lo + ", " + hi + "], got " + v);
        }
    }

    /** Greedy decoding of up to maxTokens tokens, nothing else. */
    public static SamplingParams greedy(int maxTokens) {
        return builder().temperature(0).maxTokens(maxTokens).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature; b.topK = topK; b.topP = topP; b.minP = minP;
        b.repetitionPenalty = repetitionPenalty; b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty; b.penaltyLastN = penaltyLastN; b.seed = seed;
        b.logitBias = logitBias; b.maxTokens = maxTokens; b.stopStrings = stopStrings; b.stopTokens = stopTokens;
        b.topLogprobs = topLogprobs;
        return b;
    }

    /** Fluent construction with the defaults documented on the record. */
    public static final class Builder {
        private double temperature = 0.8;
        private int topK = 40;
        private double topP = 0.95;
        private double minP = 0.05;
        private double repetitionPenalty = 1.0;
        private double presencePenalty = 0;
        private double frequencyPenalty = 0;
        private int penaltyLastN = 64;
        private long seed = 0x5EEDL;
        private Map<Integer, Float> logitBias = Map.of();
        private int maxTokens = 256;
        private List<String> stopStrings = List.of();
        private List<Integer> stopTokens = List.of();
        private int topLogprobs = -1;

        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder minP(double v) { minP = v; return this; }
        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return this; }
        public Builder presencePenalty(double v) { presencePenalty = v; return this; }
        public Builder frequencyPenalty(double v) { frequencyPenalty = v; return this; }
        public Builder penaltyLastN(int v) { penaltyLastN = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder logitBias(Map<Integer, Float> v) { logitBias = v; return this; }
        public Builder maxTokens(int v) { maxTokens = v; return this; }
        public Builder stopStrings(List<String> v) { stopStrings = v; return this; }
        public Builder stopTokens(List<Integer> v) { stopTokens = v; return this; }
        public Builder topLogprobs(int v) { topLogprobs = v; return this; }

        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                    frequencyPenalty, penaltyLastN, seed, logitBias, maxTokens, stopStrings, stopTokens, topLogprobs);
        }
    }
}
