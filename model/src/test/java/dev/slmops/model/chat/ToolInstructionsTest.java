package dev.slmops.model.chat;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ToolInstructionsTest {
    static final List<Map<String, Object>> TOOLS = List.of(Map.of("type", "function", "function", Map.of(
            "name", "get_weather", "description", "Weather now",
            "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string"))))));
    static final List<ChatMessage> ASK = List.of(ChatMessage.user("weather in Paris?"));

    @Test
    void aTemplateThatDropsToolsIsToldApart() {
        ChatTemplate chatMl = ChatTemplate.chatMlFallback();
        ChatTemplate withTools = ChatTemplate.of("{% if tools %}{% for t in tools %}{{ t.function.name }}\n{% endfor %}"
                + "{% endif %}{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}", null, null);
        RenderOptions ro = RenderOptions.forGeneration().withTools(TOOLS);
        assertThat(ToolInstructions.templateRendersTools(chatMl, ASK, chatMl.render(ASK, ro))).isFalse();
        assertThat(ToolInstructions.templateRendersTools(withTools, ASK, withTools.render(ASK, ro))).isTrue();
    }

    @Test
    void theInstructionsComeAsASystemMessageBeforeTheConversation() {
        List<ChatMessage> out = ToolInstructions.withInstructions(ASK, TOOLS, ToolCallFormat.HERMES, false);
        assertThat(out).hasSize(2);
        assertThat(out.get(0).role()).isEqualTo("system");
        assertThat(out.get(0).content()).contains("\"name\":\"get_weather\"", "\"description\":\"Weather now\"",
                "<tool_call>\n{\"name\": \"<function name>\", \"arguments\": {<arguments as JSON>}}\n</tool_call>");
        assertThat(out.get(1)).isEqualTo(ASK.getFirst());
        String prompt = ChatTemplate.chatMlFallback().render(out, RenderOptions.forGeneration());
        assertThat(prompt).startsWith("<|im_start|>system\n# Tools").contains("<|im_start|>user\nweather in Paris?");
    }

    @Test
    void anExistingSystemMessageKeepsItsTextAndGetsTheInstructionsAfterIt() {
        List<ChatMessage> chat = List.of(ChatMessage.system("Be brief."), ChatMessage.user("hi"));
        List<ChatMessage> out = ToolInstructions.withInstructions(chat, TOOLS, ToolCallFormat.HERMES, false);
        assertThat(out).hasSize(2);
        assertThat(out.get(0).content()).startsWith("Be brief.\n\n# Tools");
    }

    @Test
    void withoutASystemRoleTheyGoInFrontOfTheFirstUserMessage() {
        List<ChatMessage> out = ToolInstructions.withInstructions(ASK, TOOLS, ToolCallFormat.PHI4, true);
        assertThat(out).hasSize(1);
        assertThat(out.get(0).role()).isEqualTo("user");
        assertThat(out.get(0).content()).startsWith("# Tools").endsWith("\n\nweather in Paris?")
                .contains("<|tool_call|>[{\"name\": \"<function name>\", \"arguments\": {<arguments as JSON>}}]<|/tool_call|>");
    }

    @Test
    void llamaCallsUseParametersAndStandAlone() {
        String text = ToolInstructions.text(TOOLS, ToolCallFormat.LLAMA3_JSON);
        assertThat(text).contains("reply with exactly\n{\"name\": \"<function name>\", \"parameters\": {<arguments as JSON>}}\n"
                + "and nothing else.");
    }
}
