package dev.slmops.serve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.generate.SamplingParams;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The fields /v1/chat/completions and /v1/completions share, read and range-checked. Sampling defaults are
 * OpenAI's (temperature 1, top_p 1, no top-k or min-p), not the CLI's; top_k, min_p and repetition_penalty are
 * accepted as llama-server's extensions.
 *
 * @param adapter     a LoRA adapter by name (also written "model": "base:adapter"), or null
 * @param maxTokens   as asked (max_completion_tokens or max_tokens), or null: then whatever the context leaves
 * @param topLogprobs -1 = no log-probabilities; else how many alternatives per token (0..20)
 */
public record GenerationRequest(String model, String adapter, boolean stream, boolean includeUsage, int n, Integer maxTokens,
                                SamplingParams.Builder sampling, int topLogprobs, boolean echo,
                                JsonNode responseFormat, JsonNode tools, JsonNode toolChoice) {

    /** Limits the server imposes on every request. */
    public record Limits(int maxTokensCap, int maxN) {
    }

    static final int MAX_STOP_STRINGS = 4;
    static final int MAX_LOGIT_BIAS = 1024;

    public static GenerationRequest parse(JsonNode body, boolean chat, Limits limits) {
        if (body == null || !body.isObject()) {
            throw ApiError.invalidJson("The request body must be a JSON object");
        }
        Fields f = new Fields(body);
        String model = f.string("model", null);
        String adapter = f.string("adapter", null);
        boolean stream = f.bool("stream", false);
        boolean includeUsage = false;
        if (f.has("stream_options")) {
            JsonNode so = f.node("stream_options");
            if (!so.isObject()) throw ApiError.invalid("stream_options", "'stream_options' must be an object");
            includeUsage = new Fields(so).bool("include_usage", false);
        }
        int n = f.integer("n", 1, limits.maxN()) instanceof Long v ? v.intValue() : 1;
        Long maxTokens = f.integer("max_completion_tokens", 0, limits.maxTokensCap());
        if (maxTokens == null) maxTokens = f.integer("max_tokens", 0, limits.maxTokensCap());
        boolean echo = !chat && f.bool("echo", false);
        if (maxTokens != null && maxTokens == 0 && !echo) {
            throw ApiError.invalid(f.has("max_tokens") ? "max_tokens" : "max_completion_tokens",
                    "max_tokens must be at least 1 (0 is only meaningful with echo, to score the prompt)");
        }

        SamplingParams.Builder b = SamplingParams.builder()
                .temperature(f.number("temperature", 1.0, 0, 2))
                .topP(f.number("top_p", 1.0, Double.MIN_VALUE, 1))
                .topK(f.integer("top_k", 0, 1_000_000) instanceof Long k ? k.intValue() : 0)
                .minP(f.number("min_p", 0, 0, 1))
                .repetitionPenalty(f.number("repetition_penalty", 1.0, 1e-6, 10))
                .presencePenalty(f.number("presence_penalty", 0, -2, 2))
                .frequencyPenalty(f.number("frequency_penalty", 0, -2, 2))
                .penaltyLastN(-1)
                .stopStrings(stops(f))
                .logitBias(logitBias(f));
        Long seed = f.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE);
        if (seed != null) b.seed(seed);
        else b.seed(System.nanoTime()); // OpenAI: without a seed, each request samples differently

        int topLogprobs = -1;
        if (chat) {
            boolean lp = f.bool("logprobs", false);
            Long top = f.integer("top_logprobs", 0, 20);
            if (top != null && !lp) {
                throw ApiError.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
            }
            if (lp) topLogprobs = top == null ? 0 : top.intValue();
        } else {
            Long lp = f.integer("logprobs", 0, 20);
            if (lp != null) topLogprobs = lp.intValue();
        }
        b.topLogprobs(topLogprobs);
        JsonNode responseFormat = f.node("response_format");
        JsonNode tools = chat ? f.node("tools") : null;
        JsonNode toolChoice = chat ? f.node("tool_choice") : null;
        if (!chat && f.has("tools")) {
            throw ApiError.invalid("tools", "'tools' belongs to /v1/chat/completions");
        }
        return new GenerationRequest(model, adapter, stream, includeUsage, n, maxTokens == null ? null : maxTokens.intValue(),
                b, topLogprobs, echo, responseFormat, tools, toolChoice);
    }

    private static List<String> stops(Fields f) {
        JsonNode s = f.node("stop");
        if (s == null) return List.of();
        List<String> out = new ArrayList<>();
        if (s.isTextual()) {
            out.add(s.asText());
        } else if (s.isArray()) {
            if (s.size() > MAX_STOP_STRINGS) {
                throw ApiError.invalid("stop", "'stop' takes at most " + MAX_STOP_STRINGS + " strings, got " + s.size());
            }
            for (JsonNode e : s) {
                if (!e.isTextual()) throw ApiError.invalid("stop", "'stop' must be a string or an array of strings");
                out.add(e.asText());
            }
        } else {
            throw ApiError.invalid("stop", "'stop' must be a string or an array of strings, got " + Fields.kind(s));
        }
        for (String x : out) if (x.isEmpty()) throw ApiError.invalid("stop", "stop strings must not be empty");
        return out;
    }

    private static Map<Integer, Float> logitBias(Fields f) {
        JsonNode lb = f.node("logit_bias");
        if (lb == null) return Map.of();
        if (!lb.isObject()) throw ApiError.invalid("logit_bias", "'logit_bias' must be an object of token id -> bias");
        if (lb.size() > MAX_LOGIT_BIAS) {
            throw ApiError.invalid("logit_bias", "'logit_bias' takes at most " + MAX_LOGIT_BIAS + " entries");
        }
        Map<Integer, Float> out = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = lb.fields(); it.hasNext(); ) {
            var e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException x) {
                throw ApiError.invalid("logit_bias", "'logit_bias' keys must be token ids, got \"" + e.getKey() + "\"");
            }
            JsonNode v = e.getValue();
            if (!v.isNumber() || !(v.asDouble() >= -100 && v.asDouble() <= 100)) {
                throw ApiError.invalid("logit_bias", "'logit_bias' values must be numbers in [-100, 100], got " + v
                        + " for token " + id);
            }
            out.put(id, (float) v.asDouble());
        }
        return out;
    }
}
