package dev.slmops.model.engine;

import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.format.gguf.GgufHfTensors;

import java.util.Optional;

/**
 * The weights of a GGUF file seen in Hugging Face names and layout ({@link GgufHfTensors}: q/k rows
 * un-permuted, Gemma's stored (1 + w) norms back to w). Owns the file.
 */
public final class GgufWeightSource implements WeightSource {
    private final GgufFile file;
    private final GgufHfTensors tensors;

    public GgufWeightSource(GgufFile file) throws ModelFileException {
        this.file = file;
        this.tensors = new GgufHfTensors(file);
    }

    @Override
    public Optional<StoredTensor> find(String hfName) {
        return tensors.find(hfName);
    }

    @Override
    public String describe() {
        return file.source();
    }

    @Override
    public void close() {
        tensors.close();
        file.close();
    }
}
