package dev.slmops.model.chat;

import java.util.Objects;

/**
 * One function call an assistant message made, OpenAI-shaped: {@code argumentsJson} is the arguments object as
 * JSON text ({@code {"city": "Paris"}}). Templates receive it as HF's dict
 * {@code {id, type: "function", function: {name, arguments}}}, with arguments parsed to an object when the text
 * is a JSON object (so {@code |tojson} re-serializes it, as Llama 3.1 does) and the raw string otherwise
 * (Qwen3's template prints strings as they are).
 */
public record ToolCall(String id, String name, String argumentsJson) {
    public ToolCall {
        Objects.requireNonNull(name, "tool call name");
        argumentsJson = argumentsJson == null ? "{}" : argumentsJson;
    }

    public static ToolCall of(String name, String argumentsJson) {
        return new ToolCall(null, name, argumentsJson);
    }
}
