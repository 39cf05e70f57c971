/**
 * Training: parameters/gradients/optimizer state in flat buffers, full fine-tuning and LoRA/QLoRA (which bind the
 * model's weights as trainable or frozen kinds and run the model's own forward and backward), losses, datasets, the
 * trainer loop, checkpoints.
 */
package dev.slmops.train;
