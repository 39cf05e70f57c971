/**
 * The training forward and backward of every supported architecture, over a batch of sequences, driven by the
 * same {@link dev.slmops.model.arch.ModelConfig} switches and the same tensor ops as the inference engine.
 */
package dev.slmops.train.model;
