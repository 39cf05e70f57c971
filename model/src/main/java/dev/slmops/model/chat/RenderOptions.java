package dev.slmops.model.chat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a render passes to the template besides the messages.
 *
 * @param addGenerationPrompt end with the header that starts the assistant's reply
 * @param tools               OpenAI-shaped tool definitions ({@code {type: "function", function: {name,
 *                            description, parameters}}}), or null for none (templates see {@code tools} = none)
 * @param extraVars           more template variables, e.g. {@code enable_thinking=false} for Qwen3; they override
 *                            the special tokens and the variables above, as in transformers.js
 */
public record RenderOptions(boolean addGenerationPrompt, List<Map<String, Object>> tools, Map<String, Object> extraVars) {
    public RenderOptions {
        tools = tools == null ? null : List.copyOf(tools);
        extraVars = extraVars == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extraVars));
    }

    /** No generation prompt, no tools, no extra variables. */
    public static RenderOptions defaults() {
        return new RenderOptions(false, null, Map.of());
    }

    /** With the generation prompt: the usual options for asking a model to reply. */
    public static RenderOptions forGeneration() {
        return new RenderOptions(true, null, Map.of());
    }

    public RenderOptions withTools(List<Map<String, Object>> newTools) {
        return new RenderOptions(addGenerationPrompt, newTools, extraVars);
    }

    public RenderOptions withVar(String key, Object value) {
        Map<String, Object> vars = new LinkedHashMap<>(extraVars);
        vars.put(key, value);
        return new RenderOptions(addGenerationPrompt, tools, vars);
    }
}
