package dev.slmops.model.chat;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Replies in each family's format, including what models get wrong (unclosed blocks, bad JSON, prose around). */
class ToolCallParserTest {

    @Test
    void hermesBlocksWithProseAround() {
        var p = ToolCallParser.parse("<think>\nweather first\n</think>\n\nLet me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
                + "<tool_call>{\"name\": \"convert\", \"arguments\": \"{\\\"amount\\\": 2}\"}</tool_call>", ToolCallFormat.HERMES, i -> "c" + i);
        assertThat(p.content()).isEqualTo("Let me check.");
        assertThat(p.reasoning()).isEqualTo("weather first");
        assertThat(p.toolCalls()).containsExactly(new ToolCall("c0", "get_weather", "{\"city\":\"Paris\"}"),
                new ToolCall("c1", "convert", "{\"amount\": 2}"));
    }

    @Test
    void anUnclosedLastBlockIsStillACallAndBadJsonStaysContent() {
        var p = ToolCallParser.parse("<tool_call>\n{\"name\": \"f\", \"arguments\": {}}", ToolCallFormat.HERMES, i -> "x");
        assertThat(p.toolCalls()).containsExactly(new ToolCall("x", "f", "{}"));
        var bad = ToolCallParser.parse("<tool_call>{\"name\": \"f\", \"argu</tool_call>", ToolCallFormat.HERMES);
        assertThat(bad.toolCalls()).isEmpty();
        assertThat(bad.content()).contains("<tool_call>");
    }

    @Test
    void llama3PhiAndMistral() {
        var l = ToolCallParser.parse("<|python_tag|>{\"name\": \"f\", \"parameters\": {\"a\": 1}}", ToolCallFormat.LLAMA3_JSON, i -> "i");
        assertThat(l.toolCalls()).containsExactly(new ToolCall("i", "f", "{\"a\":1}"));
        var trailing = ToolCallParser.parse("{\"name\": \"f\", \"parameters\": {}} and then some", ToolCallFormat.LLAMA3_JSON, i -> "t");
        assertThat(trailing.toolCalls()).containsExactly(new ToolCall("t", "f", "{}"));
        assertThat(trailing.content()).isEqualTo("and then some");
        assertThat(ToolCallParser.parse("The answer is {not json}", ToolCallFormat.LLAMA3_JSON).content())
                .isEqualTo("The answer is {not json}");
        var phi = ToolCallParser.parse("<|tool_call|>[{\"name\": \"f\", \"arguments\": {\"a\": 1}}, {\"name\": \"g\", \"arguments\": {}}]<|/tool_call|>",
                ToolCallFormat.PHI4, i -> "p" + i);
        assertThat(phi.toolCalls()).extracting(ToolCall::name).containsExactly("f", "g");
        assertThat(phi.toolCalls()).extracting(ToolCall::id).containsExactly("p0", "p1");
        var m = ToolCallParser.parse("[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": 1}, \"id\": \"abcdefghi\"}]", ToolCallFormat.MISTRAL);
        assertThat(m.toolCalls()).containsExactly(new ToolCall("abcdefghi", "f", "{\"a\":1}"));
        var m11 = ToolCallParser.parse("[TOOL_CALLS]f[ARGS]{\"a\": 1}", ToolCallFormat.MISTRAL, i -> "z");
        assertThat(m11.toolCalls()).containsExactly(new ToolCall("z", "f", "{\"a\":1}"));
        assertThat(ToolCallParser.parse("plain answer", ToolCallFormat.MISTRAL).content()).isEqualTo("plain answer");
    }

    @Test
    void randomIdsLookLikeOpenAis() {
        var p = ToolCallParser.parse("<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>", ToolCallFormat.HERMES);
        assertThat(p.toolCalls().getFirst().id()).matches("call_[A-Za-z0-9]{24}");
    }

    @Test
    void toolChoiceAndDefinitionsAreChecked() {
        List<Map<String, Object>> tools = List.of(Map.of("type", "function", "function", Map.of("name", "f")));
        assertThat(ToolChoice.parse(null, tools)).isEqualTo(new ToolChoice.Auto());
        assertThat(ToolChoice.parse(null, null)).isEqualTo(new ToolChoice.None());
        assertThat(ToolChoice.parse("required", tools)).isEqualTo(new ToolChoice.Required());
        assertThat(ToolChoice.parse(Map.of("type", "function", "function", Map.of("name", "f")), tools))
                .isEqualTo(new ToolChoice.Named("f"));
        assertThatThrownBy(() -> ToolChoice.parse(Map.of("type", "function", "function", Map.of("name", "g")), tools))
                .hasMessageContaining("\"g\", which is not among the tools");
        assertThatThrownBy(() -> ToolChoice.parse("always", tools)).hasMessageContaining("tool_choice must be");
        assertThatThrownBy(() -> ToolChoice.parse("required", List.of())).hasMessageContaining("needs a non-empty tools");
        assertThatThrownBy(() -> ToolDefinitions.validate(List.of(Map.of("type", "function", "function", Map.of("name", "a b")))))
                .hasMessageContaining("letters, digits");
    }

    @Test
    void formatsAreDetectedFromTemplateText() {
        assertThat(ToolCallFormat.detect("{{ '<tool_call>\\n' }}")).isEqualTo(ToolCallFormat.HERMES);
        assertThat(ToolCallFormat.detect("<|tool_call|>")).isEqualTo(ToolCallFormat.PHI4);
        assertThat(ToolCallFormat.detect("[TOOL_CALLS] [")).isEqualTo(ToolCallFormat.MISTRAL);
        assertThat(ToolCallFormat.detect("'\"parameters\": '")).isEqualTo(ToolCallFormat.LLAMA3_JSON);
    }
}
