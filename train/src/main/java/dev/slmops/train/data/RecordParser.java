package dev.slmops.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.chat.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One JSON object → a {@link DataRecord}. Templates win when given; otherwise the record's own fields decide:
 * {@code messages} (also {@code conversations}, ShareGPT's from/value), {@code prompt}+{@code completion} (strings, or
 * message lists as TRL's conversational form), {@code input}+{@code output},
 * {@code text}. Problems are IllegalArgumentExceptions whose message says what is wrong (the reader adds file:line).
 */
final class RecordParser {
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool", "developer");

    private final TextTemplate text, prompt, completion;

    RecordParser(DatasetOptions o) {
        this.text = o.textTemplate() == null ? null : TextTemplate.parse(o.textTemplate());
        if ((o.promptTemplate() == null) != (o.completionTemplate() == null)) {
            throw new IllegalArgumentException("give both a prompt template and a completion template, or neither");
        }
        this.prompt = o.promptTemplate() == null ? null : TextTemplate.parse(o.promptTemplate());
        this.completion = o.completionTemplate() == null ? null : TextTemplate.parse(o.completionTemplate());
        if (text != null && prompt != null) {
            throw new IllegalArgumentException("give a text template or prompt/completion templates, not both");
        }
    }

    DataRecord parse(JsonNode r, int line) {
        if (!r.isObject()) throw new IllegalArgumentException("is " + kind(r) + ", expected a JSON object");
        if (text != null) return new DataRecord.Text(line, text.render(r));
        if (prompt != null) return new DataRecord.PromptCompletion(line, prompt.render(r), completion.render(r));
        JsonNode messages = r.has("messages") ? r.get("messages") : r.get("conversations");
        if (messages != null) return new DataRecord.Chat(line, messages(messages, "messages", true));
        if (r.path("prompt").isArray() && r.path("completion").isArray()) { // TRL's conversational prompt-completion
            List<ChatMessage> prompt = messages(r.get("prompt"), "prompt", false);
            List<ChatMessage> all = new ArrayList<>(prompt);
            all.addAll(messages(r.get("completion"), "completion", true));
            return new DataRecord.Chat(line, all, prompt.size());
        }
        if (r.has("prompt") || r.has("completion")) {
            return new DataRecord.PromptCompletion(line, string(r, "prompt"), string(r, "completion"));
        }
        if (r.has("input") || r.has("output")) {
            return new DataRecord.PromptCompletion(line, string(r, "input"), string(r, "output"));
        }
        if (r.has("text")) return new DataRecord.Text(line, string(r, "text"));
        List<String> names = new ArrayList<>();
        r.fieldNames().forEachRemaining(names::add);
        throw new IllegalArgumentException("has none of the fields \"text\", \"messages\", \"prompt\"/\"completion\", "
                + "\"input\"/\"output\" (it has " + names + "); for other fields give a {field} template");
    }

    private static List<ChatMessage> messages(JsonNode arr, String field, boolean needsAssistant) {
        if (!arr.isArray()) throw new IllegalArgumentException("\"" + field + "\" is " + kind(arr) + ", expected an array");
        if (arr.isEmpty()) throw new IllegalArgumentException("\"" + field + "\" is empty");
        List<ChatMessage> out = new ArrayList<>();
        boolean assistant = false;
        for (int i = 0; i < arr.size(); i++) {
            JsonNode m = arr.get(i);
            String at = "\"" + field + "\"[" + i + "]";
            if (!m.isObject()) throw new IllegalArgumentException(at + " is " + kind(m) + ", expected {\"role\", \"content\"}");
            JsonNode role = m.has("role") ? m.get("role") : m.get("from");
            JsonNode content = m.has("content") ? m.get("content") : m.get("value");
            if (role == null || !role.isTextual()) throw new IllegalArgumentException(at + " has no \"role\" string");
            String ro = switch (role.asText()) { // ShareGPT's names
                case "human" -> "user";
                case "gpt" -> "assistant";
                default -> role.asText();
            };
            if (!ROLES.contains(ro)) {
                throw new IllegalArgumentException(at + " has role \"" + role.asText() + "\"; expected one of " + ROLES);
            }
            if (content == null || !content.isTextual()) {
                throw new IllegalArgumentException(at + " has no \"content\" string"
                        + (content != null ? " (it is " + kind(content) + ")" : ""));
            }
            assistant |= ro.equals("assistant");
            out.add(new ChatMessage(ro, content.asText(), List.of(), null, null, null));
        }
        if (needsAssistant && !assistant) {
            throw new IllegalArgumentException("\"" + field + "\" has no assistant turn: nothing to learn from");
        }
        return out;
    }

    private static String string(JsonNode r, String field) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("has no \"" + field + "\"");
        if (!v.isTextual()) throw new IllegalArgumentException("\"" + field + "\" is " + kind(v) + ", expected a string");
        return v.asText();
    }

    static String kind(JsonNode n) {
        if (n.isObject()) return "an object";
        if (n.isArray()) return "an array";
        if (n.isTextual()) return "a string";
        if (n.isNumber()) return "a number";
        if (n.isBoolean()) return "a boolean";
        return "null";
    }
}
