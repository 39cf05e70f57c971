package dev.slmops.train;

import java.util.List;

/**
 * A LoRA adapter's settings, as PEFT's LoraConfig.
 *
 * @param r             rank
 * @param alpha         lora_alpha; the update is scaled by alpha / r, or alpha / sqrt(r) with rsLoRA
 * @param dropout       lora_dropout, on the adapter's input (training only)
 * @param targetModules module names as PEFT (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; Phi-3:
 *                      qkv_proj, gate_up_proj), or "all-linear" for every projection of the layers
 * @param rsLora        use_rslora
 * @param seed          seed of A's initialization (B starts at zero) and of the dropout masks
 * @param modulesToSave PEFT's modules_to_save: modules trained as full copies beside the adapters (lm_head,
 *                      embed_tokens, norm ...; matched as PEFT does, see model/lora ModulesToSave); empty: none
 */
public record LoraConfig(int r, float alpha, float dropout, List<String> targetModules, boolean rsLora, long seed,
                         List<String> modulesToSave) {
    /** Adapters only, no modules_to_save. */
    public LoraConfig(int r, float alpha, float dropout, List<String> targetModules, boolean rsLora, long seed) {
        this(r, alpha, dropout, targetModules, rsLora, seed, List.of());
    }

    public LoraConfig {
        if (r <= 0) throw new IllegalArgumentException("LoRA rank r must be positive, got " + r);
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        if (targetModules.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one target module");
        targetModules = List.copyOf(targetModules);
        modulesToSave = List.copyOf(modulesToSave);
    }

    public float scale() {
        return (float) (rsLora ? alpha / Math.sqrt(r) : alpha / r);
    }
}
