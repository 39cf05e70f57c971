package dev.slmops.cli;

import dev.slmops.model.generate.SamplingParams;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The sampling flags shared by generate and chat, named as llama.cpp's CLI names them. */
final class SamplingOptions {
    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", description = "Tokens to generate at most (default ${DEFAULT-VALUE}).")
    int maxTokens;
    @Option(names = "--temp", defaultValue = "0.8", description = "Temperature; 0 = greedy (default ${DEFAULT-VALUE}).")
    double temperature;
    @Option(names = "--top-k", defaultValue = "40", description = "Top-k, 0 = off (default ${DEFAULT-VALUE}).")
    int topK;
    @Option(names = "--top-p", defaultValue = "0.95", description = "Top-p, 1 = off (default ${DEFAULT-VALUE}).")
    double topP;
    @Option(names = "--min-p", defaultValue = "0.05", description = "Min-p, 0 = off (default ${DEFAULT-VALUE}).")
    double minP;
    @Option(names = "--repeat-penalty", defaultValue = "1.0", description = "Repetition penalty, 1 = off (default ${DEFAULT-VALUE}).")
    double repeatPenalty;
    @Option(names = "--repeat-last-n", defaultValue = "64", description = "Tokens the penalties look back over; -1 = all (default ${DEFAULT-VALUE}).")
    int repeatLastN;
    @Option(names = "--presence-penalty", defaultValue = "0", description = "Presence penalty (default ${DEFAULT-VALUE}).")
    double presencePenalty;
    @Option(names = "--frequency-penalty", defaultValue = "0", description = "Frequency penalty (default ${DEFAULT-VALUE}).")
    double frequencyPenalty;
    @Option(names = {"-s", "--seed"}, defaultValue = "-1", description = "Random seed; -1 = a random one (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--stop", description = "A stop string (repeatable).")
    List<String> stop = new ArrayList<>();
    @Option(names = "--logit-bias", description = "TOKEN_ID=BIAS, e.g. 15043=-100 to ban a token (repeatable).")
    List<String> logitBias = new ArrayList<>();
    @Option(names = "--logprobs", defaultValue = "-1", description = "Print each token's log-probability and this many alternatives.")
    int logprobs;

    SamplingParams toParams() {
        Map<Integer, Float> bias = new HashMap<>();
        for (String b : logitBias) {
            String[] kv = b.split("=", 2);
            try {
                bias.put(Integer.parseInt(kv[0].trim()), Float.parseFloat(kv[1].trim()));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--logit-bias expects TOKEN_ID=BIAS, got \"" + b + "\"");
            }
        }
        return SamplingParams.builder().maxTokens(maxTokens).temperature(temperature).topK(topK).topP(topP).minP(minP)
                .repetitionPenalty(repeatPenalty).penaltyLastN(repeatLastN).presencePenalty(presencePenalty)
                .frequencyPenalty(frequencyPenalty).seed(seed == -1 ? System.nanoTime() : seed).stopStrings(stop)
                .logitBias(bias).topLogprobs(logprobs).build();
    }
}
