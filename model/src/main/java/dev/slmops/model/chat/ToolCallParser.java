package dev.slmops.model.chat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;

/**
 * Turns a model's reply into OpenAI's shape: the text the user should see, and the tool calls it made. Parse the
 * reply decoded WITH special tokens ({@code tokenizer.decode(ids, false)}): Phi-4's and Mistral's markers are
 * special tokens that a streaming decoder drops.
 *
 * <p>Lenient by design: a call block the model did not close (it stopped at end-of-generation) is still read; a
 * block whose JSON does not parse, or lacks a name, is left in the content rather than dropped.
 */
public final class ToolCallParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param content   the reply without the reasoning and the call blocks, trimmed; null when nothing else was said
     * @param reasoning what a leading {@code <think>...</think>} block held (Qwen3, DeepSeek-R1), trimmed; null if none
     */
    public record Parsed(String content, String reasoning, List<ToolCall> toolCalls) {
        public Parsed {
            toolCalls = List.copyOf(toolCalls);
        }

        public boolean hasToolCalls() {
            return !toolCalls.isEmpty();
        }
    }

    private ToolCallParser() {
    }

    /** Parses with random OpenAI-style ids ({@code call_} and 24 letters and digits). */
    public static Parsed parse(String reply, ToolCallFormat format) {
        return parse(reply, format, i -> randomId());
    }

    /** Parses, naming the i-th call {@code ids.apply(i)}. */
    public static Parsed parse(String reply, ToolCallFormat format, IntFunction<String> ids) {
        List<ToolCall> calls = new ArrayList<>();
        StringBuilder content = new StringBuilder();
        String text = reply == null ? "" : reply;
        String reasoning = null;
        String lead = text.stripLeading();
        int endThink = lead.indexOf("</think>");
        if (lead.startsWith("<think>") && endThink >= 0) {
            reasoning = lead.substring("<think>".length(), endThink).strip();
            if (reasoning.isEmpty()) reasoning = null;
            text = lead.substring(endThink + "</think>".length());
        }
        switch (format) {
            case HERMES -> blocks(text, "<tool_call>", "</tool_call>", calls, content, ids);
            case PHI4 -> blocks(text, "<|tool_call|>", "<|/tool_call|>", calls, content, ids);
            case MISTRAL -> mistral(text, calls, content, ids);
            case LLAMA3_JSON -> llama3(text, calls, content, ids);
        }
        String c = content.toString().strip();
        return new Parsed(c.isEmpty() ? null : c, reasoning, calls);
    }

    /** Every {@code open ... close} block (the last may be unclosed) holds a call object or an array of them. */
    private static void blocks(String text, String open, String close, List<ToolCall> calls, StringBuilder content,
                               IntFunction<String> ids) {
        int at = 0;
        while (true) {
            int start = text.indexOf(open, at);
            if (start < 0) break;
            int end = text.indexOf(close, start + open.length());
            String body = text.substring(start + open.length(), end < 0 ? text.length() : end);
            List<ToolCall> found = callsIn(body.strip(), ids, calls.size());
            if (found == null) {
                content.append(text, at, end < 0 ? text.length() : end + close.length());
            } else {
                content.append(text, at, start);
                calls.addAll(found);
            }
            at = end < 0 ? text.length() : end + close.length();
        }
        content.append(text.substring(Math.min(at, text.length())));
    }

    private static void mistral(String text, List<ToolCall> calls, StringBuilder content, IntFunction<String> ids) {
        int start = text.indexOf("[TOOL_CALLS]");
        if (start < 0) {
            content.append(text);
            return;
        }
        String rest = text.substring(start + "[TOOL_CALLS]".length()).strip();
        List<ToolCall> found = null;
        int args = rest.indexOf("[ARGS]");
        if (!rest.startsWith("[") && args > 0) { // newer Mistral: [TOOL_CALLS]name[ARGS]{...}
            JsonNode a = firstValue(rest.substring(args + "[ARGS]".length()).strip());
            if (a != null) found = List.of(new ToolCall(ids.apply(calls.size()), rest.substring(0, args).strip(), write(a)));
        } else {
            found = callsIn(rest, ids, calls.size());
        }
        if (found == null) content.append(text);
        else {
            content.append(text, 0, start);
            calls.addAll(found);
        }
    }

    /** Llama 3: the reply (after an optional {@code <|python_tag|>}) is one call object, or several split by ';'. */
    private static void llama3(String text, List<ToolCall> calls, StringBuilder content, IntFunction<String> ids) {
        String body = text.strip();
        if (body.startsWith("<|python_tag|>")) body = body.substring("<|python_tag|>".length()).strip();
        if (body.startsWith("{") || body.startsWith("[")) {
            List<ToolCall> found = callsIn(body, ids, calls.size());
            if (found == null && body.contains(";")) {
                found = new ArrayList<>();
                for (String part : body.split(";")) {
                    List<ToolCall> one = callsIn(part.strip(), ids, calls.size() + found.size());
                    if (one == null) {
                        found = null;
                        break;
                    }
                    found.addAll(one);
                }
            }
            if (found == null) { // a call object first, then prose: keep the prose as content
                try (JsonParser p = JSON.createParser(body)) {
                    JsonNode first = JSON.readTree(p);
                    int end = (int) p.currentLocation().getCharOffset();
                    found = first == null ? null : callsIn(write(first), ids, calls.size());
                    if (found != null) content.append(body.substring(Math.min(end, body.length())));
                } catch (Exception e) {
                    found = null;
                }
            }
            if (found != null) {
                calls.addAll(found);
                return;
            }
        }
        content.append(text);
    }

    /** The calls in a JSON object or array of objects that fills {@code body}; null when it is not one. */
    private static List<ToolCall> callsIn(String body, IntFunction<String> ids, int first) {
        JsonNode node;
        try (JsonParser p = JSON.createParser(body)) {
            node = JSON.readTree(p);
            if (node == null || p.nextToken() != null) return null;
        } catch (Exception e) {
            return null;
        }
        List<JsonNode> objects = new ArrayList<>();
        if (node.isArray()) node.forEach(objects::add);
        else objects.add(node);
        if (objects.isEmpty()) return null;
        List<ToolCall> out = new ArrayList<>();
        for (JsonNode o : objects) {
            if (!o.isObject() || !o.path("name").isTextual()) return null;
            JsonNode args = o.has("arguments") ? o.get("arguments") : o.has("parameters") ? o.get("parameters") : null;
            String argsJson;
            if (args == null || args.isNull()) argsJson = "{}";
            else if (args.isTextual()) argsJson = args.textValue();   // some models write the arguments as a string
            else argsJson = write(args);
            String id = o.path("id").isTextual() ? o.get("id").textValue() : ids.apply(first + out.size());
            out.add(new ToolCall(id, o.get("name").textValue(), argsJson));
        }
        return out;
    }

    /** The first JSON value at the start of text, or null. */
    private static JsonNode firstValue(String text) {
        try (JsonParser p = JSON.createParser(text)) {
            return JSON.readTree(p);
        } catch (Exception e) {
            return null;
        }
    }

    private static String write(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String randomId() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder("call_");
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 24; i++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        return sb.toString();
    }
}
