/**
 * The trainable building blocks of the training transformer, each with its forward and backward side by side:
 * projections (trainable F32, frozen in any stored dtype, frozen plus a LoRA adapter), norm/bias vectors and the
 * embedding table. Backward always accumulates (+=) into gradients; zeroing them is the caller's step.
 */
package dev.slmops.train.nn;
