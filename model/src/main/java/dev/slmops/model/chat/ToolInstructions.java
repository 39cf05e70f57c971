package dev.slmops.model.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Tools for a chat template that does not render them (SmolLM2's, Phi-3's, Gemma 3's, the ChatML fallback): the
 * conversation is given a system message that lists the functions and shows the call syntax of a
 * {@link ToolCallFormat}, as llama-server does with its generic tool format for such templates. Without it the
 * template would drop the tools silently and the model would never learn they exist.
 */
public final class ToolInstructions {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ToolInstructions() {
    }

    /**
     * Whether {@code template} puts the tools into the prompt: {@code renderedWithTools} (the generation prompt it
     * rendered with them) differs from the one without them.
     */
    public static boolean templateRendersTools(ChatTemplate template, List<ChatMessage> messages,
                                               String renderedWithTools) {
        return !renderedWithTools.equals(template.render(messages, RenderOptions.forGeneration()));
    }

    /**
     * The conversation with the tool instructions added: to the first message when it is a system message (after a
     * blank line), else as a new system message in front; with {@code inFirstUserMessage}, in front of the first
     * user message's text instead (for templates that reject a system role).
     */
    public static List<ChatMessage> withInstructions(List<ChatMessage> messages, List<Map<String, Object>> tools,
                                                     ToolCallFormat format, boolean inFirstUserMessage) {
        String text = text(tools, format);
        List<ChatMessage> out = new ArrayList<>(messages);
        if (inFirstUserMessage) {
            for (int i = 0; i < out.size(); i++) {
                ChatMessage m = out.get(i);
                if (m.role().equals("user")) {
                    out.set(i, withContent(m, text + "\n\n" + (m.content() == null ? "" : m.content())));
                    return out;
                }
            }
            out.addFirst(ChatMessage.user(text));
        } else if (!out.isEmpty() && out.getFirst().role().equals("system")) {
            ChatMessage first = out.getFirst();
            out.set(0, withContent(first, (first.content() == null ? "" : first.content() + "\n\n") + text));
        } else {
            out.addFirst(ChatMessage.system(text));
        }
        return out;
    }

    /** The instructions: each tool definition as one line of JSON, then how a call is written in {@code format}. */
    static String text(List<Map<String, Object>> tools, ToolCallFormat format) {
        StringBuilder sb = new StringBuilder("# Tools\n\nYou can call the functions below. Each line describes one: its "
                + "name, what it does and a JSON Schema of its arguments.\n");
        for (Map<String, Object> tool : tools) {
            Object function = tool.get("function");
            try {
                sb.append(JSON.writeValueAsString(function == null ? tool : function)).append('\n');
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("a tool definition cannot be written as JSON: " + e.getMessage(), e);
            }
        }
        String call = "{\"name\": \"<function name>\", \"" + format.argumentsKey() + "\": {<arguments as JSON>}}";
        sb.append("\nTo call a function, reply with exactly\n").append(format.prefix())
                .append(format.array() ? "[" + call + "]" : call).append(format.suffix()).append('\n');
        sb.append(format.array() ? "listing every call you make in that one list"
                : format.prefix().isEmpty() ? "and nothing else" : "one block per call");
        sb.append(". When no function helps, answer in plain text.");
        return sb.toString();
    }

    private static ChatMessage withContent(ChatMessage m, String content) {
        return new ChatMessage(m.role(), content, m.toolCalls(), m.toolCallId(), m.name(), m.reasoningContent());
    }
}
