/**
 * Row and elementwise operations of a transformer layer (RMSNorm, RoPE, softmax, activations, gated products,
 * residual add, attention), each with a naive double-precision reference beside it.
 */
package dev.slmops.tensor.ops;
