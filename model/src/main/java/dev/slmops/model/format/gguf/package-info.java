/**
 * GGUF, llama.cpp's model file format: reading ({@link dev.slmops.model.format.gguf.GgufFile}, v2 and v3,
 * memory-mapped), streaming writing ({@link dev.slmops.model.format.gguf.GgufWriter}, v3, temp file + atomic
 * rename, tensors from {@link dev.slmops.model.format.TensorBytes}s), and llama.cpp's naming as data:
 * <ul>
 *   <li>{@link dev.slmops.model.format.gguf.GgufKeys}: metadata key names;</li>
 *   <li>{@link dev.slmops.model.format.gguf.GgufTensorNames}: the HF ↔ GGUF tensor-name table per architecture,
 *       with the value transform of each row;</li>
 *   <li>{@link dev.slmops.model.format.gguf.GgufHyperParams}: config.json ↔ {@code {arch}.*} keys per architecture;</li>
 *   <li>{@link dev.slmops.model.format.gguf.GgufRopeTensors}: RoPE scaling llama.cpp stores as tensors;</li>
 *   <li>{@link dev.slmops.model.format.gguf.GgufTokenizerMetadata}: the {@code tokenizer.*} keys;</li>
 *   <li>{@link dev.slmops.model.format.gguf.LlamaQkPermutation}: the Llama q/k row permutation and its inverse;</li>
 *   <li>{@link dev.slmops.model.format.gguf.GgufHfTensors}: a GGUF's tensors under HF names, in HF layout.</li>
 * </ul>
 * Shapes are outermost first everywhere, as in {@link dev.slmops.model.format.StoredTensor}; GGUF's innermost-first
 * {@code ne[]} exists only inside the reader and writer.
 */
package dev.slmops.model.format.gguf;
