/**
 * {@code slmops quantize} and {@code slmops imatrix}: {@link dev.slmops.workflows.quantize.Quantizer} writes a GGUF
 * of one of llama.cpp's file types ({@link dev.slmops.workflows.quantize.QuantType}) with llama.cpp's per-tensor
 * choices ({@link dev.slmops.workflows.quantize.TensorTypeRules}) and ggml's quantizers
 * ({@code dev.slmops.tensor.quant.Quantize#rows}), so its files are byte-identical to llama-quantize's;
 * {@link dev.slmops.workflows.quantize.ImatrixCollector} computes importance matrices with the engine and
 * {@link dev.slmops.workflows.quantize.Imatrix} reads and writes llama.cpp's two imatrix formats.
 */
package dev.slmops.workflows.quantize;
