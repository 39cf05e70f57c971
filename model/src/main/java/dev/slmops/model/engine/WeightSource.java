package dev.slmops.model.engine;

import dev.slmops.model.format.StoredTensor;

import java.util.Optional;

/**
 * Where a model's weights come from, by Hugging Face tensor name ({@code model.layers.3.self_attn.q_proj.weight}),
 * in Hugging Face layout (rows not permuted), whatever the file: an HF directory reads them directly, a GGUF file
 * maps its names and undoes llama.cpp's q/k row permutation.
 */
public interface WeightSource extends AutoCloseable {

    /** The tensor, or empty when the file has none of that name. */
    Optional<StoredTensor> find(String hfName);

    /** The tensor, or a clear error naming the file and the missing tensor. */
    default StoredTensor require(String hfName) {
        return find(hfName).orElseThrow(() -> new IllegalArgumentException(
                describe() + " has no tensor " + hfName + ": the file does not match its architecture"));
    }

    /** Names the source in error messages (its path). */
    String describe();

    @Override
    void close();
}
