package dev.slmops.model.chat;

/**
 * How a model family writes a function call in its reply, as its chat template renders past calls.
 * Each constant gives the text around one call object (or array of call objects) and the key of the arguments.
 */
public enum ToolCallFormat {
    /** Qwen2.5, Qwen3, Hermes 2/3: {@code <tool_call>\n{"name": .., "arguments": {..}}\n</tool_call>}, one block per call. */
    HERMES("<tool_call>\n", "\n</tool_call>", "arguments", false),
    /** Llama 3.1/3.2/3.3 JSON tool calling: the whole reply is {@code {"name": .., "parameters": {..}}}. */
    LLAMA3_JSON("", "", "parameters", false),
    /** Phi-4-mini: {@code <|tool_call|>[{"name": .., "arguments": {..}}, ..]<|/tool_call|>}. */
    PHI4("<|tool_call|>", "<|/tool_call|>", "arguments", true),
    /** Mistral (v3 tokenizer): {@code [TOOL_CALLS] [{"name": .., "arguments": {..}}, ..]}. */
    MISTRAL("[TOOL_CALLS]", "", "arguments", true);

    private final String prefix, suffix, argumentsKey;
    private final boolean array;

    ToolCallFormat(String prefix, String suffix, String argumentsKey, boolean array) {
        this.prefix = prefix;
        this.suffix = suffix;
        this.argumentsKey = argumentsKey;
        this.array = array;
    }

    /** Text before the call JSON when the model calls a tool (may name a special token). */
    public String prefix() {
        return prefix;
    }

    /** Text after the call JSON. */
    public String suffix() {
        return suffix;
    }

    /** The key holding the arguments object ({@code arguments}, or Llama's {@code parameters}). */
    public String argumentsKey() {
        return argumentsKey;
    }

    /** The calls are a JSON array (Phi-4, Mistral) rather than one object per block. */
    public boolean array() {
        return array;
    }

    /**
     * The format a chat template uses, recognised from the text it renders tool calls with; HERMES (the most
     * common, and what untagged ChatML-style models are usually tuned on) when nothing tells.
     */
    public static ToolCallFormat detect(ChatTemplate template) {
        return detect(template.templateText(true));
    }

    public static ToolCallFormat detect(String templateText) {
        if (templateText == null) return HERMES;
        if (templateText.contains("<tool_call>")) return HERMES;
        if (templateText.contains("<|tool_call|>")) return PHI4;
        if (templateText.contains("[TOOL_CALLS]")) return MISTRAL;
        if (templateText.contains("\"parameters\"") || templateText.contains("<|python_tag|>")) return LLAMA3_JSON;
        return HERMES;
    }
}
