package dev.slmops.model.engine;

import dev.slmops.model.layers.Embedding;
import dev.slmops.model.layers.Projection;
import dev.slmops.model.layers.Vec;

/**
 * Makes each weight of the architecture one weight kind: inference binds repacked {@link Linear}s over the file's
 * bytes; full fine-tuning trainable views into a flat parameter buffer; LoRA frozen stored-dtype projections. The
 * architecture ({@link ModelWeights#bind(dev.slmops.model.arch.ModelConfig, WeightBinder)}) asks for every weight by
 * its Hugging Face name, in one fixed order.
 */
public interface WeightBinder {
    /** The token embedding table {@code name} [vocab, dim], rows scaled by {@code scale} as they are read. */
    Embedding embedding(String name, int vocab, int dim, float scale);

    /** The vector {@code name} [n] (a norm weight or a bias). */
    Vec vector(String name, int n);

    /** The projection of module {@code module} (its matrix is {@code module + ".weight"} [out, in]) with its bias or null. */
    Projection matrix(String module, int out, int in, Vec bias);

    /** The output projection [vocab, dim] of a model with tied embeddings (over the embedding table). */
    Projection tiedOutput(int vocab, int dim);

    /**
     * The embedding the model keeps once its tied output projection exists: by default the one bound; inference
     * reads the rows from the output's repacked copy, so the file's pages of the table are not kept resident too.
     */
    default Embedding afterTiedOutput(Embedding embedding, Projection tiedOutput) {
        return embedding;
    }
}
