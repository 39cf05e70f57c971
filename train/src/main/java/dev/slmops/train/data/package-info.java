/**
 * Training data: JSONL records ({@code text}, {@code messages}, {@code prompt}/{@code completion},
 * {@code input}/{@code output}, {@code {field}} templates) to {@link dev.slmops.train.Example}s through the model's
 * tokenizer and chat template, with target masks, shuffling, packing and truncation (splits: loop.ValidationSplit)
 * ({@link dev.slmops.train.data.JsonlDataset}). Sample files: resources {@code dev/slmops/train/data/samples}.
 */
package dev.slmops.train.data;
