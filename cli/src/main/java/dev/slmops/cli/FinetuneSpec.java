package dev.slmops.cli;

import java.nio.file.Path;
import java.util.List;

/**
 * What the training engine and the data reader need from {@code slmops finetune}, validated: the model, the method
 * and its LoRA settings, how examples are built. The loop's settings travel apart in a TrainingConfig.
 *
 * @param model              HF model directory or .gguf file
 * @param method             full, lora or qlora
 * @param loraR              LoRA rank r
 * @param loraAlpha          LoRA alpha (scaling alpha / r, or alpha / sqrt(r) with rsLoRA)
 * @param loraDropout        dropout on the LoRA input, [0, 1)
 * @param targetModules      projections that get adapters (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)
 * @param useRslora          rsLoRA scaling
 * @param modulesToSave      modules trained fully beside the adapters (e.g. lm_head, embed_tokens)
 * @param quantType          frozen base type for qlora (q4_0, q8_0, q4_k ...)
 * @param seqLen             tokens per example (longer ones are cut)
 * @param gradCheckpointing  recompute each layer's activations in backward instead of keeping them
 * @param completionOnlyLoss loss on completion tokens only for prompt/completion and chat records
 * @param textTemplate       a {field} template for other JSONL records (null: the known formats)
 * @param skipBadRecords     skip and count unreadable JSONL records instead of failing on the first
 * @param seed               seed for adapter initialisation and dropout
 * @param merge              lora/qlora: also write the base with the adapter merged
 * @param saveDtype          f32, f16 or bf16: weights of a saved full or merged model
 * @param threads            compute threads of the engine (>= 1)
 * @param saveGguf           lora/qlora: also write adapter.gguf (llama.cpp's GGUF LoRA)
 */
public record FinetuneSpec(Path model, String method, int loraR, double loraAlpha, double loraDropout,
                           List<String> targetModules, boolean useRslora, List<String> modulesToSave, String quantType,
                           int seqLen, boolean gradCheckpointing, boolean completionOnlyLoss, String textTemplate,
                           boolean skipBadRecords, long seed, boolean merge, String saveDtype, int threads,
                           boolean saveGguf) {
    public boolean lora() {
        return !method.equals("full");
    }
}
