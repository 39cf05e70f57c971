package dev.slmops.model.chat;

import java.util.List;
import java.util.Map;

/**
 * OpenAI's {@code tool_choice}: {@code "none"} (never call), {@code "auto"} (the model decides), {@code "required"}
 * (call at least one tool) or {@code {"type": "function", "function": {"name": ..}}} (call that one).
 */
public sealed interface ToolChoice {
    record None() implements ToolChoice {
    }

    record Auto() implements ToolChoice {
    }

    record Required() implements ToolChoice {
    }

    record Named(String name) implements ToolChoice {
    }

    /**
     * Reads the wire value (a String, or a Map as Jackson gives it); null means OpenAI's default: "auto" when
     * tools are given, else "none". Errors name what was wrong (an HTTP 400).
     */
    static ToolChoice parse(Object value, List<Map<String, Object>> tools) {
        boolean hasTools = tools != null && !tools.isEmpty();
        if (value == null) return hasTools ? new Auto() : new None();
        if (value instanceof String s) {
            ToolChoice c = switch (s) {
                case "none" -> new None();
                case "auto" -> new Auto();
                case "required" -> new Required();
                default -> throw new IllegalArgumentException("tool_choice must be \"none\", \"auto\", \"required\" or "
                        + "{\"type\": \"function\", \"function\": {\"name\": ...}}, got \"" + s + "\"");
            };
            if (!(c instanceof None) && !hasTools) {
                throw new IllegalArgumentException("tool_choice \"" + s + "\" needs a non-empty tools list");
            }
            return c;
        }
        if (value instanceof Map<?, ?> m && m.get("function") instanceof Map<?, ?> f && f.get("name") instanceof String name) {
            if (!hasTools || tools.stream().noneMatch(t -> name.equals(ToolDefinitions.name(t)))) {
                throw new IllegalArgumentException("tool_choice names the function \"" + name + "\", which is not among the tools");
            }
            return new Named(name);
        }
        throw new IllegalArgumentException("tool_choice must be \"none\", \"auto\", \"required\" or "
                + "{\"type\": \"function\", \"function\": {\"name\": ...}}, got " + value);
    }
}
