package dev.slmops.model.chat;

import java.util.List;
import java.util.Objects;

/**
 * One message of a conversation, in the fields chat templates read. Templates see it as HF's dict: role and
 * content always (content may be none), tool_calls when there are any, tool_call_id, name and
 * reasoning_content when set.
 *
 * @param role             "system", "user", "assistant" or "tool" (any string; the template decides)
 * @param content          the text; null only for assistant messages that just call tools
 * @param toolCalls        calls an assistant message makes (never null; empty for none)
 * @param toolCallId       for role "tool": the id of the call this message answers, else null
 * @param name             for role "tool": the function's name (some templates print it), else null
 * @param reasoningContent an assistant's thinking (Qwen3 prints it between {@code <think>} tags), else null
 */
public record ChatMessage(String role, String content, List<ToolCall> toolCalls, String toolCallId, String name,
                          String reasoningContent) {
    public ChatMessage {
        Objects.requireNonNull(role, "message role");
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content, List.of(), null, null, null);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content, List.of(), null, null, null);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content, List.of(), null, null, null);
    }

    /** An assistant turn that calls tools; content is "" when it says nothing (what HF templates expect). */
    public static ChatMessage assistant(String content, List<ToolCall> toolCalls) {
        return new ChatMessage("assistant", content == null ? "" : content, toolCalls, null, null, null);
    }

    /** An assistant turn with its reasoning kept apart from the answer. */
    public static ChatMessage assistantWithReasoning(String reasoningContent, String content) {
        return new ChatMessage("assistant", content, List.of(), null, null, reasoningContent);
    }

    /** A tool's result: {@code toolCallId} names the call it answers (may be null), {@code name} the function. */
    public static ChatMessage tool(String toolCallId, String name, String content) {
        return new ChatMessage("tool", content, List.of(), toolCallId, name, null);
    }
}
