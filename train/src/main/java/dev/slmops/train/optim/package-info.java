/**
 * The optimizer stack over flat parameter buffers: AdamW as torch.optim.AdamW computes it, gradient clipping by global
 * norm as clip_grad_norm_, and learning-rate schedules with warmup as transformers' get_*_schedule_with_warmup.
 * Checked against a PyTorch golden run (scripts/reference/torch_adamw.py).
 */
package dev.slmops.train.optim;
