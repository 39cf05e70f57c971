/**
 * ggml's block formats: reference (scalar, readable) dequantization of every stored type into F32, reference
 * quantizers for the simple types that write ggml's bytes exactly, and bfloat16 conversion. Checked bit for bit
 * against libggml-base (GgmlParityTest).
 */
package dev.slmops.tensor.quant;
