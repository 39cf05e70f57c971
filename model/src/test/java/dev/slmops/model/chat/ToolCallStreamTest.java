package dev.slmops.model.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The streamed parse, fed each reply whole, one character at a time and in random pieces, must add up to what the
 * whole-reply {@link ToolCallParser} reads (arguments compared as JSON values by Jackson: the stream keeps the
 * model's spacing), and its deltas must come in an order OpenAI's stream accumulators accept.
 */
class ToolCallStreamTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a client accumulates from the deltas. */
    record Accumulated(String content, Map<Integer, ToolCall> calls) {
    }

    static Accumulated run(String reply, ToolCallFormat format, List<String> pieces) {
        ToolCallStream s = new ToolCallStream(format, i -> "c" + i);
        List<ToolCallStream.Delta> all = new ArrayList<>();
        for (String p : pieces) {
            List<ToolCallStream.Delta> d = s.feed(p);
            all.addAll(d);
        }
        all.addAll(s.finish());
        StringBuilder content = new StringBuilder();
        Map<Integer, String[]> calls = new LinkedHashMap<>();
        for (ToolCallStream.Delta d : all) {
            switch (d) {
                case ToolCallStream.Content c -> {
                    assertThat(c.text()).as("no empty content delta").isNotEmpty();
                    content.append(c.text());
                }
                case ToolCallStream.CallStart c -> {
                    assertThat(c.index()).as("calls start in order, once each").isEqualTo(calls.size());
                    calls.put(c.index(), new String[]{c.id(), c.name(), ""});
                }
                case ToolCallStream.Arguments a -> {
                    assertThat(calls).as("arguments after their call's start").containsKey(a.index());
                    assertThat(a.fragment()).isNotEmpty();
                    calls.get(a.index())[2] += a.fragment();
                }
            }
        }
        Map<Integer, ToolCall> out = new LinkedHashMap<>();
        calls.forEach((k, v) -> out.put(k, new ToolCall(v[0], v[1], v[2])));
        assertThat(s.hasToolCalls()).isEqualTo(!out.isEmpty());
        return new Accumulated(content.toString(), out);
    }

    static List<List<String>> splits(String reply, long seed) {
        List<List<String>> out = new ArrayList<>();
        out.add(List.of(reply));
        List<String> chars = new ArrayList<>();
        reply.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
        out.add(chars);
        SplittableRandom r = new SplittableRandom(seed);
        for (int k = 0; k < 6; k++) {
            List<String> pieces = new ArrayList<>();
            for (int i = 0; i < reply.length(); ) {
                int n = Math.min(reply.length() - i, 1 + r.nextInt(7));
                pieces.add(reply.substring(i, i + n));
                i += n;
            }
            out.add(pieces);
        }
        return out;
    }

    static void assertMatchesWholeParse(String reply, ToolCallFormat format) {
        ToolCallParser.Parsed whole = ToolCallParser.parse(reply, format, i -> "c" + i);
        for (List<String> pieces : splits(reply, reply.hashCode())) {
            Accumulated a = run(reply, format, pieces);
            String expected = whole.content() == null ? "" : whole.content();
            if (whole.reasoning() != null) { // the stream passes a think block through as content
                assertThat(a.content().strip()).as(reply + " in " + pieces).startsWith("<think>").endsWith(expected);
            } else {
                assertThat(a.content().strip()).as(reply + " in " + pieces).isEqualTo(expected);
            }
            assertThat(a.calls()).as(reply + " in " + pieces).hasSize(whole.toolCalls().size());
            for (int i = 0; i < whole.toolCalls().size(); i++) {
                ToolCall w = whole.toolCalls().get(i), s = a.calls().get(i);
                assertThat(s.id()).isEqualTo(w.id());
                assertThat(s.name()).isEqualTo(w.name());
                assertThat(json(s.argumentsJson())).as("arguments of " + w.name() + " in " + pieces)
                        .isEqualTo(json(w.argumentsJson()));
            }
            if (whole.hasToolCalls() && whole.reasoning() == null && format != ToolCallFormat.LLAMA3_JSON) {
                assertThat(a.content()).doesNotContain(format.prefix().strip());
            }
        }
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError("arguments are not JSON: " + s, e);
        }
    }

    @Test
    void hermesBlocksProseAroundArraysAndKeysInAnyOrder() {
        for (String reply : List.of(
                "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
                        + "<tool_call>{\"name\": \"convert\", \"arguments\": \"{\\\"amount\\\": 2}\"}</tool_call>",
                "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}",
                "<tool_call>[{\"name\":\"a\",\"arguments\":{\"x\":[1,2,{\"y\":\"}]\"}],\"t\":true}},"
                        + "{\"arguments\":{\"z\":null,\"w\":-1.5e3},\"name\":\"b\"}]</tool_call>",
                "<tool_call>{\"name\":\"f\",\"arguments\":{}}</tool_call>\nDone.",
                "<tool_call>{\"name\":\"f\",\"arguments\":{\"q\":\"say \\\"hi\\\" \\\\ th\\u00e9re <tool_call>\"}}</tool_call>",
                "<tool_call>{\"name\":\"noargs\"}</tool_call>",
                "a < b and <tool is not a call, <tool_call>{\"nme\": 1}</tool_call> neither",
                "<think>\nweather first <tool_call>\n</think>\n\n<tool_call>{\"name\":\"f\",\"arguments\":{\"a\":\"b\"}}</tool_call>",
                "plain answer with no call at all.\n")) {
            assertMatchesWholeParse(reply, ToolCallFormat.HERMES);
        }
    }

    @Test
    void llama3PhiAndMistral() {
        for (String reply : List.of("<|python_tag|>{\"name\": \"f\", \"parameters\": {\"a\": 1}}",
                "{\"name\": \"f\", \"parameters\": {}} and then some",
                "The answer is {not json}",
                "{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {\"k\": \"v\"}}",
                "{\"answer\": 42}",
                "  \n{\"parameters\": {\"k\": [1, {}]}, \"name\": \"late\"}")) {
            assertMatchesWholeParse(reply, ToolCallFormat.LLAMA3_JSON);
        }
        assertMatchesWholeParse("<|tool_call|>[{\"name\": \"f\", \"arguments\": {\"a\": 1}}, {\"name\": \"g\", \"arguments\": {}}]<|/tool_call|>",
                ToolCallFormat.PHI4);
        assertMatchesWholeParse("I will call it. <|tool_call|>[{\"name\": \"f\", \"arguments\": {\"a\": [1]}}]", ToolCallFormat.PHI4);
        for (String reply : List.of("[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": 1}}, {\"name\": \"g\", \"arguments\": {}}]",
                "[TOOL_CALLS]f[ARGS]{\"a\": 1}",
                "plain [TOOL answer")) {
            assertMatchesWholeParse(reply, ToolCallFormat.MISTRAL);
        }
    }

    @Test
    void argumentsStreamAsTheyAreWrittenAndMarkersAreHeldBack() {
        ToolCallStream s = new ToolCallStream(ToolCallFormat.HERMES, i -> "id" + i);
        assertThat(s.feed("Sure <tool_")).containsExactly(new ToolCallStream.Content("Sure"));
        assertThat(s.feed("call>\n{\"name\": \"get_weather\"")).containsExactly(new ToolCallStream.CallStart(0, "id0", "get_weather"));
        assertThat(s.feed(", \"arguments\": {\"ci")).containsExactly(new ToolCallStream.Arguments(0, "{\"ci"));
        assertThat(s.feed("ty\": \"Paris\"}")).containsExactly(new ToolCallStream.Arguments(0, "ty\": \"Paris\"}"));
        assertThat(s.feed("}\n</tool_call>")).isEmpty();
        assertThat(s.finish()).isEmpty();
        assertThat(s.hasToolCalls()).isTrue();
    }

    @Test
    void aReplyWithoutCallsStreamsExactlyItsText() {
        String reply = "  Hello <b>world</b>, 2 < 3 and [TOOL is fine.\n\n";
        for (ToolCallFormat f : ToolCallFormat.values()) {
            for (List<String> pieces : splits(reply, 7)) {
                assertThat(run(reply, f, pieces).content()).as(f + " " + pieces).isEqualTo(reply);
            }
        }
    }

    @Test
    void aCallBodyThatBreaksAfterItsStartEndsTheCallWithoutBrokenFragments() {
        ToolCallStream s = new ToolCallStream(ToolCallFormat.HERMES, i -> "x");
        List<ToolCallStream.Delta> d = new ArrayList<>(s.feed("<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": 1"));
        d.addAll(s.feed(", ]oops}}</tool_call> after"));
        d.addAll(s.finish());
        assertThat(d).containsExactly(new ToolCallStream.CallStart(0, "x", "f"), new ToolCallStream.Arguments(0, "{\"a\": 1"),
                new ToolCallStream.Content(" after"));
    }
}
