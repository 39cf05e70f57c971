/**
 * Training byte-level BPE tokenizers (GPT-2 / Qwen2 style) from text, for models made from scratch.
 *
 * <p>{@link dev.slmops.model.tokenizer.train.BpeTrainer#train} turns documents into a
 * {@link dev.slmops.model.tokenizer.train.TrainedBpe} of exactly the requested vocabulary size, which
 * {@link dev.slmops.model.tokenizer.train.TrainedBpe#writeHfFiles} writes as Hugging Face
 * {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json}.
 * {@link dev.slmops.model.tokenizer.train.BuiltinCorpus} is the default, generated training text.
 *
 * <p>Inside: {@code WordCounter} (special tokens cut out, NFC, {@code Qwen2Splitter}: pieces and counts),
 * {@code IncrementalBpe} (the fast merge learner) beside {@code NaiveBpe} (its full-recount reference),
 * {@code HfTokenizerFiles} (the writer) and {@code TextFileChunks} (large files read in safe chunks).
 */
package dev.slmops.model.tokenizer.train;
