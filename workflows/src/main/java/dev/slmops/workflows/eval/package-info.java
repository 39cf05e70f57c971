/**
 * Quality measurements with llama-perplexity's definitions, so numbers compare with llama.cpp's:
 * {@link dev.slmops.workflows.eval.Perplexity} (windows of ctx tokens, BOS first, second half scored),
 * {@link dev.slmops.workflows.eval.ModelComparison} (KL divergence, Δp, same-top-1 against a base model's
 * log-probabilities, stored in llama.cpp's {@code --kl-divergence-base} file format by
 * {@link dev.slmops.workflows.eval.LogitsFile}), {@link dev.slmops.workflows.eval.QualityGates} for pipelines, and
 * {@link dev.slmops.workflows.eval.QualityReport} for the size / PPL / KLD / top-1 / speed table.
 */
package dev.slmops.workflows.eval;
