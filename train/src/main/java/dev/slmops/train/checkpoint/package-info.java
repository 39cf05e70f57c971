/**
 * Resumable checkpoints (parameters, AdamW moments, step, data-order and model random state) written crash-safely:
 * temporary name, fsync, atomic rename, so a kill -9 at any instant leaves the previous checkpoint whole.
 */
package dev.slmops.train.checkpoint;
