/**
 * The trainer loop above {@link dev.slmops.train.Trainable}: data order, micro-batches and accumulation, evaluation,
 * early stopping, best model, checkpoints every N steps, metrics.jsonl, loss.svg and the progress display.
 * Entry point: {@link dev.slmops.train.loop.Trainer} with a {@link dev.slmops.train.loop.TrainingConfig}.
 */
package dev.slmops.train.loop;
