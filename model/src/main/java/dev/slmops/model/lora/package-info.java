/**
 * LoRA adapters, one code path for inference and training: {@link dev.slmops.model.lora.LoraAdapter} (per projection
 * A/B pairs keyed by HF module name), the LoRA-aware projection every matmul of the model goes through
 * ({@link dev.slmops.model.lora.LoraProjection}: base product + adapter delta, forward and backward) with which
 * adapter runs on which rows ({@link dev.slmops.model.lora.RowAdapters}: per sequence in inference, one trained
 * adapter with gradients and dropout in training), the low-rank kernel itself ({@link dev.slmops.model.lora.LoraMatmul}),
 * the module names and shapes per architecture ({@link dev.slmops.model.lora.LoraTargets}), PEFT's modules_to_save
 * rule and its tied-embedding handling ({@link dev.slmops.model.lora.ModulesToSave}), row-streamed merging
 * ({@link dev.slmops.model.lora.LoraMerge}) and loading either file form ({@link dev.slmops.model.lora.LoraFiles}:
 * PEFT directories, GGUF LoRA files).
 */
package dev.slmops.model.lora;
