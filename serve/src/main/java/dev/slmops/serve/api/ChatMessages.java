package dev.slmops.serve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.chat.ChatMessage;
import dev.slmops.model.chat.ToolCall;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * OpenAI's {@code messages} array to {@link ChatMessage}s, with the checks that keep a chat template from seeing
 * nonsense: known roles, system/developer messages first, a tool result only after an assistant turn that called
 * tools, content a string or an array of text parts.
 */
final class ChatMessages {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    static final int MAX_MESSAGES = 1024;

    private ChatMessages() {
    }

    static List<ChatMessage> parse(JsonNode messages) {
        if (messages == null || messages.isNull()) throw ApiError.invalid("messages", "'messages' is required");
        if (!messages.isArray()) throw ApiError.invalid("messages", "'messages' must be an array of messages");
        if (messages.isEmpty()) throw ApiError.invalid("messages", "'messages' must contain at least one message");
        if (messages.size() > MAX_MESSAGES) {
            throw ApiError.invalid("messages", "'messages' takes at most " + MAX_MESSAGES + " messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        boolean conversationStarted = false;
        boolean toolsCalled = false;
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = messages.get(i);
            if (!m.isObject()) throw ApiError.invalid(at, at + " must be an object with 'role' and 'content'");
            JsonNode roleNode = m.get("role");
            if (roleNode == null || !roleNode.isTextual()) throw ApiError.invalid(at + ".role", at + " needs a string 'role'");
            String role = roleNode.asText();
            if (!ROLES.contains(role)) {
                throw ApiError.invalid(at + ".role", "unknown role '" + role + "' in " + at
                        + "; expected system, developer, user, assistant or tool");
            }
            List<ToolCall> calls = toolCalls(m.get("tool_calls"), at);
            String content = content(m.get("content"), at, role.equals("assistant") && !calls.isEmpty());
            switch (role) {
                case "system", "developer" -> {
                    if (conversationStarted) {
                        throw ApiError.invalid(at + ".role", "a " + role + " message must come before the conversation ("
                                + at + " follows user/assistant messages)");
                    }
                    out.add(ChatMessage.system(content));
                }
                case "user" -> {
                    conversationStarted = true;
                    toolsCalled = false;
                    out.add(ChatMessage.user(content));
                }
                case "assistant" -> {
                    conversationStarted = true;
                    toolsCalled = !calls.isEmpty();
                    out.add(calls.isEmpty() ? ChatMessage.assistant(content) : ChatMessage.assistant(content, calls));
                }
                default -> { // tool
                    if (!toolsCalled) {
                        throw ApiError.invalid(at + ".role", "a tool message must follow an assistant message with "
                                + "'tool_calls' (" + at + " does not)");
                    }
                    JsonNode id = m.get("tool_call_id");
                    if (id == null || !id.isTextual()) {
                        throw ApiError.invalid(at + ".tool_call_id", at + " (role tool) needs a string 'tool_call_id'");
                    }
                    JsonNode name = m.get("name");
                    out.add(ChatMessage.tool(id.asText(), name != null && name.isTextual() ? name.asText() : null, content));
                }
            }
        }
        if (!conversationStarted) {
            throw ApiError.invalid("messages", "'messages' has only system messages: add a user message");
        }
        return out;
    }

    private static String content(JsonNode c, String at, boolean mayBeNull) {
        if (c == null || c.isNull()) {
            if (mayBeNull) return null;
            throw ApiError.invalid(at + ".content", at + " needs 'content' (a string or an array of text parts)");
        }
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                JsonNode type = part.get("type");
                if (!part.isObject() || type == null || !"text".equals(type.asText()) || !part.path("text").isTextual()) {
                    throw ApiError.invalid(at + ".content", at + ".content parts must be {\"type\": \"text\", \"text\": ...}; "
                            + "this server reads text only");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw ApiError.invalid(at + ".content", at + ".content must be a string or an array of text parts, got "
                + Fields.kind(c));
    }

    private static List<ToolCall> toolCalls(JsonNode calls, String at) {
        if (calls == null || calls.isNull()) return List.of();
        if (!calls.isArray()) throw ApiError.invalid(at + ".tool_calls", at + ".tool_calls must be an array");
        List<ToolCall> out = new ArrayList<>();
        for (JsonNode c : calls) {
            JsonNode fn = c.path("function");
            if (!fn.path("name").isTextual() || !fn.path("arguments").isTextual()) {
                throw ApiError.invalid(at + ".tool_calls", at + ".tool_calls entries need function.name and "
                        + "function.arguments (a JSON string)");
            }
            String id = c.path("id").isTextual() ? c.get("id").asText() : null;
            out.add(new ToolCall(id, fn.get("name").asText(), fn.get("arguments").asText()));
        }
        return out;
    }
}
