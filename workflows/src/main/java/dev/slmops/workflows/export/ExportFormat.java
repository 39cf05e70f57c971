package dev.slmops.workflows.export;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Where {@code slmops export} can hand a model. */
public enum ExportFormat {
    /** One GGUF file (llama.cpp, LM Studio, ...). */
    GGUF("gguf"),
    /** A Hugging Face directory: config.json, tokenizer files, safetensors (transformers, vLLM, ...). */
    SAFETENSORS("safetensors"),
    /** A GGUF plus an Ollama Modelfile. */
    OLLAMA("ollama"),
    /** A Foundry Local custom-model directory (inference_model.json, tokenizer, weights; no ONNX files). */
    FOUNDRY_LOCAL("foundry-local");

    public final String cliName;

    ExportFormat(String cliName) {
        this.cliName = cliName;
    }

    public static ExportFormat parse(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace('_', '-');
        for (ExportFormat f : values()) if (f.cliName.equals(n)) return f;
        if (n.equals("hf")) return SAFETENSORS;
        throw new IllegalArgumentException("unsupported export format \"" + name + "\"; supported: "
                + Arrays.stream(values()).map(f -> f.cliName).collect(Collectors.joining(", ")));
    }
}
