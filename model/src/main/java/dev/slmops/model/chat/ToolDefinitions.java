package dev.slmops.model.chat;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks and reads OpenAI tool definitions: {@code {"type": "function", "function": {name, description, parameters}}}. */
public final class ToolDefinitions {
    private ToolDefinitions() {
    }

    /** Throws IllegalArgumentException (an HTTP 400) naming the first malformed tool. */
    public static void validate(List<Map<String, Object>> tools) {
        if (tools == null) return;
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            Map<String, Object> t = tools.get(i);
            if (t == null || !"function".equals(t.get("type"))) {
                throw new IllegalArgumentException("tools[" + i + "].type must be \"function\"");
            }
            if (!(t.get("function") instanceof Map<?, ?> f) || !(f.get("name") instanceof String name) || name.isEmpty()) {
                throw new IllegalArgumentException("tools[" + i + "].function.name must be a non-empty string");
            }
            if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new IllegalArgumentException("tools[" + i + "].function.name \"" + name
                        + "\" must be 1-64 letters, digits, '_', '.' or '-'");
            }
            if (!names.add(name)) throw new IllegalArgumentException("tools[" + i + "]: the function name \"" + name + "\" is repeated");
            Object p = f.get("parameters");
            if (p != null && !(p instanceof Map)) {
                throw new IllegalArgumentException("tools[" + i + "].function.parameters must be a JSON Schema object");
            }
        }
    }

    /** The function name of a tool definition, or null. */
    public static String name(Map<String, Object> tool) {
        return tool != null && tool.get("function") instanceof Map<?, ?> f && f.get("name") instanceof String s ? s : null;
    }

    /** The parameters schema of a tool definition, or null when it declares none. */
    public static Object parameters(Map<String, Object> tool) {
        return tool != null && tool.get("function") instanceof Map<?, ?> f ? f.get("parameters") : null;
    }
}
