package dev.slmops.workflows.export;

/**
 * The chat formats other runtimes are told about, recognised from a model's Jinja chat template by their markers.
 * Each carries the same format in the two other template languages we write: Ollama's Go template (over
 * {@code .Messages}, each with {@code .Role} and {@code .Content}) and Foundry Local's {@code PromptTemplate}
 * ({@code {Content}} placeholders). BOS is not written: the runtimes' tokenizers add it as the GGUF says.
 */
public enum ChatFamily {
    /** {@code <|im_start|>role\n...<|im_end|>}: Qwen2/2.5/3, SmolLM2, many fine-tunes. */
    CHATML("ChatML (Qwen, SmolLM2)", "<|im_end|>",
            "<|im_start|>system\n", "<|im_end|>",
            """
            {{- range .Messages }}<|im_start|>{{ .Role }}
            {{ .Content }}<|im_end|>
            {{ end }}<|im_start|>assistant
            """,
            "<|im_start|>system\n{Content}<|im_end|>\n", "<|im_start|>user\n{Content}<|im_end|>\n",
            "<|im_start|>assistant\n{Content}<|im_end|>\n", "<|im_start|>user\n{Content}<|im_end|>\n<|im_start|>assistant\n"),

    /** {@code <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>}: Llama 3, 3.1, 3.2. */
    LLAMA3("Llama 3", "<|eot_id|>",
            "<|start_header_id|>system<|end_header_id|>\n\n", "<|eot_id|>",
            """
            {{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>

            {{ .Content }}<|eot_id|>
            {{- end }}<|start_header_id|>assistant<|end_header_id|>

            """,
            "<|start_header_id|>system<|end_header_id|>\n\n{Content}<|eot_id|>",
            "<|start_header_id|>user<|end_header_id|>\n\n{Content}<|eot_id|>",
            "<|start_header_id|>assistant<|end_header_id|>\n\n{Content}<|eot_id|>",
            "<|start_header_id|>user<|end_header_id|>\n\n{Content}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),

    /** {@code <|role|>\n...<|end|>}: Phi-3, Phi-3.5, Phi-4-mini. */
    PHI3("Phi-3", "<|end|>",
            "<|system|>\n", "<|end|>",
            """
            {{- range .Messages }}<|{{ .Role }}|>
            {{ .Content }}<|end|>
            {{ end }}<|assistant|>
            """,
            "<|system|>\n{Content}<|end|>\n", "<|user|>\n{Content}<|end|>\n", "<|assistant|>\n{Content}<|end|>\n",
            "<|user|>\n{Content}<|end|>\n<|assistant|>\n"),

    /**
     * {@code <start_of_turn>user|model\n...<end_of_turn>}: Gemma 1/2/3. Gemma has no system role; as Gemma 3's
     * template does, a system message is put in front of the first user message, separated by a blank line.
     */
    GEMMA("Gemma", "<end_of_turn>",
            null, null,
            """
            {{- $system := "" }}
            {{- range .Messages }}
            {{- if eq .Role "system" }}{{ $system = .Content }}
            {{- else if eq .Role "user" }}<start_of_turn>user
            {{ if $system }}{{ $system }}

            {{ end }}{{ $system = "" }}{{ .Content }}<end_of_turn>
            {{ else }}<start_of_turn>model
            {{ .Content }}<end_of_turn>
            {{ end }}
            {{- end }}<start_of_turn>model
            """,
            "{Content}\n\n", "<start_of_turn>user\n{Content}<end_of_turn>\n", "<start_of_turn>model\n{Content}<end_of_turn>\n",
            "<start_of_turn>user\n{Content}<end_of_turn>\n<start_of_turn>model\n");

    /** A human name for messages. */
    public final String displayName;
    /** The text that ends a turn; generation stops there. */
    public final String endOfTurn;
    /** How a system turn starts and ends in this format (null: the format has no system turn). */
    final String systemPrefix, systemSuffix;
    /** Ollama TEMPLATE. */
    public final String goTemplate;
    /** Foundry Local PromptTemplate parts; {@code prompt} is one user turn plus the assistant header. */
    public final String foundrySystem, foundryUser, foundryAssistant, foundryPrompt;

    ChatFamily(String displayName, String endOfTurn, String systemPrefix, String systemSuffix, String goTemplate,
               String foundrySystem, String foundryUser, String foundryAssistant, String foundryPrompt) {
        this.displayName = displayName;
        this.endOfTurn = endOfTurn;
        this.systemPrefix = systemPrefix;
        this.systemSuffix = systemSuffix;
        this.goTemplate = goTemplate;
        this.foundrySystem = foundrySystem;
        this.foundryUser = foundryUser;
        this.foundryAssistant = foundryAssistant;
        this.foundryPrompt = foundryPrompt;
    }

    /** The family whose markers the Jinja template uses, or null when none does. */
    public static ChatFamily detect(String jinja) {
        if (jinja == null) return null;
        if (jinja.contains("<|im_start|>")) return CHATML;
        if (jinja.contains("<|start_header_id|>") && jinja.contains("<|eot_id|>")) return LLAMA3;
        if (jinja.contains("<|assistant|>") && jinja.contains("<|end|>")) return PHI3;
        if (jinja.contains("<start_of_turn>")) return GEMMA;
        return null;
    }
}
