/**
 * The weight kinds the model's layers run on, each with its forward and backward side by side: projections
 * (inference's repacked {@code engine.Linear}; trainable F32 {@link dev.slmops.model.layers.DenseProjection}; frozen
 * in any stored dtype {@link dev.slmops.model.layers.FrozenProjection}), norm/bias vectors
 * ({@link dev.slmops.model.layers.Vec}, {@link dev.slmops.model.layers.RmsNormLayer}) and the embedding table.
 * Backward always accumulates (+=) into gradients; zeroing them is the caller's step. The architecture that wires
 * them (attention and MLP blocks, the transformer) lives in {@code dev.slmops.model.engine}; LoRA attaches through
 * {@code dev.slmops.model.lora.LoraProjection}.
 */
package dev.slmops.model.layers;
