/**
 * LoRA adapters in the engine: {@link dev.slmops.model.lora.LoraAdapter} (per projection A/B pairs keyed by HF module
 * name), the low-rank product every projection adds ({@link dev.slmops.model.lora.LoraMatmul}), the module names
 * and shapes per architecture ({@link dev.slmops.model.lora.LoraTargets}), row-streamed merging
 * ({@link dev.slmops.model.lora.LoraMerge}) and loading either file form ({@link dev.slmops.model.lora.LoraFiles}:
 * PEFT directories, GGUF LoRA files).
 */
package dev.slmops.model.lora;
