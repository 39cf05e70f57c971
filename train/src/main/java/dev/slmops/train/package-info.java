/** Training: backward passes, parameters/gradients/optimizer state, LoRA/QLoRA, losses, datasets, the trainer loop, checkpoints. */
package dev.slmops.train;
