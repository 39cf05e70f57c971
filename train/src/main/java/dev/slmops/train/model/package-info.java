/**
 * The training loss over the model's one Transformer ({@code dev.slmops.model.engine.Transformer}, which owns the
 * architecture's forward and backward): next-token cross-entropy over a batch of examples
 * ({@link dev.slmops.train.model.NextTokenLoss}), with the output projection fused into a chunked cross-entropy
 * ({@link dev.slmops.train.model.ChunkedCrossEntropy}) so a [T, V] logits tensor never exists.
 */
package dev.slmops.train.model;
