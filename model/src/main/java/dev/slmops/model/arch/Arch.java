package dev.slmops.model.arch;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The model families slmops runs. {@link #hfModelType} is config.json's {@code model_type};
 * {@link #ggufName} is GGUF's {@code general.architecture}.
 */
public enum Arch {
    /** Llama 2, Llama 3/3.1/3.2, TinyLlama, SmolLM/SmolLM2. */
    LLAMA("llama", "llama", "LlamaForCausalLM"),
    /** Qwen2 / Qwen2.5: q/k/v projections carry a bias. */
    QWEN2("qwen2", "qwen2", "Qwen2ForCausalLM"),
    /** Qwen3 dense: RMSNorm over each head of q and k. */
    QWEN3("qwen3", "qwen3", "Qwen3ForCausalLM"),
    /** Phi-3 / Phi-3.5-mini / Phi-4-mini: fused qkv and gate_up projections, partial rotary, LongRoPE. */
    PHI3("phi3", "phi3", "Phi3ForCausalLM"),
    /** Gemma 3 text: GeGLU, (1+w) RMSNorm, sandwich norms, q/k norm, interleaved sliding/global attention. */
    GEMMA3("gemma3_text", "gemma3", "Gemma3ForCausalLM");

    public final String hfModelType;
    public final String ggufName;
    public final String hfArchitecture;

    Arch(String hfModelType, String ggufName, String hfArchitecture) {
        this.hfModelType = hfModelType;
        this.ggufName = ggufName;
        this.hfArchitecture = hfArchitecture;
    }

    /** From config.json's model_type (also accepts "gemma3", whose text config nests as text_config). */
    public static Arch fromHfModelType(String modelType) {
        String t = modelType == null ? "" : modelType.toLowerCase(Locale.ROOT);
        if (t.equals("gemma3")) return GEMMA3;
        if (t.equals("mistral")) return LLAMA; // same graph as llama without sliding windows in the sizes we target
        for (Arch a : values()) if (a.hfModelType.equals(t)) return a;
        throw new IllegalArgumentException("unsupported model_type \"" + modelType + "\"; supported: " + supported());
    }

    /** From GGUF's general.architecture. */
    public static Arch fromGgufName(String name) {
        for (Arch a : values()) if (a.ggufName.equals(name)) return a;
        throw new IllegalArgumentException("unsupported GGUF architecture \"" + name + "\"; supported: "
                + Arrays.stream(values()).map(a -> a.ggufName).collect(Collectors.joining(", ")));
    }

    public static String supported() {
        return Arrays.stream(values()).map(a -> a.hfModelType).collect(Collectors.joining(", "));
    }
}
