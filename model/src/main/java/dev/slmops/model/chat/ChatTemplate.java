package dev.slmops.model.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.tree.Node;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model's chat template: turns a conversation into the prompt text the model was trained on, rendering the
 * Jinja template from {@code tokenizer_config.json} or GGUF {@code tokenizer.chat_template} exactly as
 * transformers.js's {@code apply_chat_template(..., {tokenize: false})} does (see {@code package-info.java}
 * for how Jinjava is made to agree with it).
 *
 * <p>A model without a template gets {@link #chatMlFallback()}; {@link #isFallback()} and {@link #source()}
 * say which one is in use. Instances are immutable; compiled templates are cached and {@link #render} may be
 * called from many threads.
 */
public final class ChatTemplate {
    public static final String SOURCE_TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String SOURCE_GGUF = "gguf";
    public static final String SOURCE_FALLBACK = "fallback (ChatML)";
    public static final String SOURCE_STRING = "string";
    public static final String SOURCE_JINJA_FILE = "chat_template.jinja";

    /**
     * The fallback when a model ships no template: ChatML, as HF documents it. Each message renders as
     * {@code <|im_start|>role\ncontent<|im_end|>\n}; the generation prompt is {@code <|im_start|>assistant\n}.
     */
    public static final String CHATML_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** The special-token variables transformers.js passes to every template (when the config sets them). */
    static final List<String> SPECIAL_TOKEN_KEYS =
            List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CACHE_LIMIT = 256;
    private static final Map<String, Node> COMPILED = new ConcurrentHashMap<>();

    private final String source;
    private final Map<String, String> templates;        // name → template text; a single template is "default"
    private final String chosenName;                     // null: choose per render as transformers.js does
    private final Map<String, String> specialTokens;

    private ChatTemplate(String source, Map<String, String> templates, String chosenName, Map<String, String> specialTokens) {
        this.source = source;
        this.templates = Map.copyOf(templates);
        this.chosenName = chosenName;
        this.specialTokens = Map.copyOf(specialTokens);
        // the template a plain render uses is compiled now, so its syntax errors surface at load time; other named
        // templates compile when first used (a broken "rag" template must not make the model unusable)
        String main = chosenName != null ? chosenName : templates.containsKey("default") ? "default" : null;
        if (main != null) compiled(this.templates.get(main));
    }

    // ---- construction ----

    /**
     * Reads {@code chat_template} (a string, or a list of {@code {name, template}}) and the special tokens from a
     * tokenizer_config.json. Without a template the result is {@link #chatMlFallback()} with the config's tokens.
     */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfigJson) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(tokenizerConfigJson));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read tokenizer config " + tokenizerConfigJson + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(tokenizerConfigJson + " is not a JSON object; expected a Hugging Face tokenizer_config.json");
        }
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String key : SPECIAL_TOKEN_KEYS) {
            String value = tokenText(root.get(key), tokenizerConfigJson, key);
            if (value != null && !value.isEmpty()) tokens.put(key, value);
        }
        JsonNode ct = root.get("chat_template");
        Map<String, String> templates = new LinkedHashMap<>();
        if (ct == null || ct.isNull() || (ct.isTextual() && ct.asText().isEmpty())) {
            return new ChatTemplate(SOURCE_FALLBACK, Map.of("default", CHATML_TEMPLATE), null, tokens);
        } else if (ct.isTextual()) {
            templates.put("default", ct.asText());
        } else if (ct.isArray()) {
            for (JsonNode entry : ct) {
                JsonNode name = entry.get("name");
                JsonNode template = entry.get("template");
                if (name == null || !name.isTextual() || template == null || !template.isTextual()) {
                    throw new IllegalArgumentException(tokenizerConfigJson + ": chat_template list entries must be"
                            + " {\"name\": string, \"template\": string}, got " + entry);
                }
                templates.put(name.asText(), template.asText());
            }
        } else {
            throw new IllegalArgumentException(tokenizerConfigJson + ": chat_template must be a string or a list of"
                    + " {name, template}, got " + ct.getNodeType());
        }
        return new ChatTemplate(SOURCE_TOKENIZER_CONFIG, templates, null, tokens);
    }

    /**
     * The template of a Hugging Face model directory: {@code chat_template.jinja} when present (newer
     * transformers save it there, and it wins over the config, as in Python transformers), else
     * tokenizer_config.json's, else the ChatML fallback; special tokens from tokenizer_config.json either way.
     */
    public static ChatTemplate fromModelDir(Path dir) {
        Path config = dir.resolve("tokenizer_config.json");
        Path jinja = dir.resolve("chat_template.jinja");
        ChatTemplate fromConfig = Files.isRegularFile(config) ? fromTokenizerConfig(config) : chatMlFallback();
        if (!Files.isRegularFile(jinja)) return fromConfig;
        try {
            return new ChatTemplate(SOURCE_JINJA_FILE, Map.of("default", Files.readString(jinja)), null, fromConfig.specialTokens);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + jinja + ": " + e.getMessage(), e);
        }
    }

    /** A special token as the config spells it: a string, or an AddedToken object's "content"; null if unset. */
    private static String tokenText(JsonNode node, Path file, String key) {
        if (node == null || node.isNull()) return null;
        if (node.isTextual()) return node.asText();
        if (node.isObject() && node.path("content").isTextual()) return node.get("content").asText();
        throw new IllegalArgumentException(file + ": " + key + " must be a string or an AddedToken object, got " + node);
    }

    /**
     * The template of a GGUF file from its metadata: {@code tokenizer.chat_template}, with bos/eos/unk/pad/sep
     * tokens looked up in {@code tokenizer.ggml.tokens} by {@code tokenizer.ggml.*_token_id}. Without a template
     * the result is the ChatML fallback.
     */
    public static ChatTemplate fromGgufMetadata(Map<String, ?> metadata) {
        Map<String, String> tokens = new LinkedHashMap<>();
        Object vocab = metadata.get("tokenizer.ggml.tokens");
        if (vocab instanceof List<?> list) {
            for (String kind : List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask")) {
                if (metadata.get("tokenizer.ggml." + kind + "_token_id") instanceof Number id
                        && id.longValue() >= 0 && id.longValue() < list.size()) {
                    tokens.put(kind + "_token", String.valueOf(list.get((int) id.longValue())));
                }
            }
        }
        Object template = metadata.get("tokenizer.chat_template");
        if (!(template instanceof String t) || t.isEmpty()) {
            return new ChatTemplate(SOURCE_FALLBACK, Map.of("default", CHATML_TEMPLATE), null, tokens);
        }
        return new ChatTemplate(SOURCE_GGUF, Map.of("default", t), null, tokens);
    }

    /** A template given as text, with its bos/eos tokens (either may be null). */
    public static ChatTemplate of(String template, String bosToken, String eosToken) {
        Objects.requireNonNull(template, "template");
        Map<String, String> tokens = new LinkedHashMap<>();
        if (bosToken != null && !bosToken.isEmpty()) tokens.put("bos_token", bosToken);
        if (eosToken != null && !eosToken.isEmpty()) tokens.put("eos_token", eosToken);
        return new ChatTemplate(SOURCE_STRING, Map.of("default", template), null, tokens);
    }

    /** The ChatML fallback ({@link #CHATML_TEMPLATE}) with no special tokens. */
    public static ChatTemplate chatMlFallback() {
        return new ChatTemplate(SOURCE_FALLBACK, Map.of("default", CHATML_TEMPLATE), null, Map.of());
    }

    /** The template of this model stored under {@code name} (e.g. "tool_use", "rag"), always used as is. */
    public ChatTemplate named(String name) {
        if (!templates.containsKey(name)) {
            throw new IllegalArgumentException("no chat template named '" + name + "'; this model has " + templateNames());
        }
        return new ChatTemplate(source, templates, name, specialTokens);
    }

    // ---- facts ----

    /**
     * Where the template came from: "tokenizer_config.json", "chat_template.jinja", "gguf", "string" or
     * "fallback (ChatML)".
     */
    public String source() {
        return source;
    }

    public boolean isFallback() {
        return SOURCE_FALLBACK.equals(source);
    }

    /** The names of the templates the model ships ("default" for a single template). */
    public Set<String> templateNames() {
        return Set.copyOf(templates.keySet());
    }

    /** The special tokens the template sees (bos_token, eos_token, ...). */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /** The template text a render with or without tools would use. */
    public String templateText(boolean withTools) {
        return templates.get(choose(withTools));
    }

    // ---- rendering ----

    /**
     * The prompt text for {@code messages}. Throws IllegalArgumentException with the template's own message when
     * the template rejects the conversation (raise_exception) or fails.
     */
    public String render(List<ChatMessage> messages, RenderOptions options) {
        Objects.requireNonNull(messages, "messages");
        RenderOptions opts = options == null ? RenderOptions.defaults() : options;
        List<Object> dicts = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) dicts.add(toDict(m));
        return renderDicts(dicts, opts);
    }

    /** Renders messages already shaped as HF dicts (role, content, tool_calls ...), e.g. parsed from JSON. */
    public String renderDicts(List<?> messageDicts, RenderOptions options) {
        RenderOptions opts = options == null ? RenderOptions.defaults() : options;
        String text = templates.get(choose(opts.tools() != null));
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", templateValue(messageDicts));
        vars.put("add_generation_prompt", opts.addGenerationPrompt());
        vars.put("tools", templateValue(opts.tools()));
        vars.put("documents", null);
        vars.putAll(specialTokens);
        for (Map.Entry<String, Object> e : opts.extraVars().entrySet()) vars.put(e.getKey(), templateValue(e.getValue()));
        List<String> givenAsNone = new ArrayList<>();
        for (Map.Entry<String, Object> e : vars.entrySet()) if (e.getValue() == null) givenAsNone.add(e.getKey());
        vars.put(TemplateFunctions.NONE_VARIABLES, givenAsNone);
        return TemplateEngine.render(compiled(text), vars);
    }

    /** transformers.js's choice: the chosen name; else "tool_use" when tools are passed and it exists; else "default". */
    private String choose(boolean withTools) {
        if (chosenName != null) return chosenName;
        if (withTools && templates.containsKey("tool_use")) return "tool_use";
        if (templates.containsKey("default")) return "default";
        throw new IllegalArgumentException("this model has several chat templates and none is named 'default': "
                + templateNames() + "; pick one with named(..)");
    }

    /** How many distinct template texts are compiled and cached (for tests of the cache). */
    static int cachedTemplates() {
        return COMPILED.size();
    }

    private static Node compiled(String template) {
        Node node = COMPILED.get(template);
        if (node != null) return node;
        Node fresh = TemplateEngine.compile(template);
        if (COMPILED.size() >= CACHE_LIMIT) COMPILED.clear();
        Node raced = COMPILED.putIfAbsent(template, fresh);
        return raced != null ? raced : fresh;
    }

    /** The HF dict of one message; see {@link ChatMessage} and {@link ToolCall} for the shape. */
    static Map<String, Object> toDict(ChatMessage m) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("role", m.role());
        d.put("content", m.content());
        if (!m.toolCalls().isEmpty()) {
            List<Object> calls = new ArrayList<>();
            for (ToolCall c : m.toolCalls()) {
                Map<String, Object> call = new LinkedHashMap<>();
                if (c.id() != null) call.put("id", c.id());
                call.put("type", "function");
                Map<String, Object> fn = new LinkedHashMap<>();
                fn.put("name", c.name());
                fn.put("arguments", parsedArguments(c.argumentsJson()));
                call.put("function", fn);
                calls.add(call);
            }
            d.put("tool_calls", calls);
        }
        if (m.toolCallId() != null) d.put("tool_call_id", m.toolCallId());
        if (m.name() != null) d.put("name", m.name());
        if (m.reasoningContent() != null) d.put("reasoning_content", m.reasoningContent());
        return d;
    }

    private static Object parsedArguments(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node != null && node.isObject()) return templateValue(JSON.treeToValue(node, Object.class));
        } catch (JsonProcessingException e) {
            // not JSON: the template gets the text as is
        }
        return json;
    }

    /**
     * A deep copy in the shapes templates see: JS numbers (integral values as Long, others as Double), ordered
     * dicts equal only to themselves ({@link InputDict}), lists. Records and other objects are passed as they are.
     */
    static Object templateValue(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long) return v;
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof BigInteger b) return b.bitLength() < 64 ? (Object) b.longValue() : b.doubleValue();
        if (v instanceof Number n) {
            double d = n instanceof BigDecimal bd ? bd.doubleValue() : n.doubleValue();
            return d == Math.rint(d) && Math.abs(d) <= 9007199254740991.0 ? (Object) (long) d : (Object) d;
        }
        if (v instanceof CharSequence s) return s.toString();
        if (v instanceof Map<?, ?> map) {
            Map<String, Object> out = new InputDict();
            for (Map.Entry<?, ?> e : map.entrySet()) out.put(String.valueOf(e.getKey()), templateValue(e.getValue()));
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            for (Object o : c) out.add(templateValue(o));
            return out;
        }
        if (v instanceof ChatMessage m) return toDict(m);
        return v;
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + source + ", " + templateNames() + "]";
    }
}
