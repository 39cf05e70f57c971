package dev.slmops.model.engine;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.hf.HfModelDir;

import java.util.Optional;

/** The weights of a Hugging Face model directory: names and layout are already Hugging Face's. */
public final class HfWeightSource implements WeightSource {
    private final HfModelDir dir;

    public HfWeightSource(HfModelDir dir) {
        this.dir = dir;
    }

    @Override
    public Optional<StoredTensor> find(String hfName) {
        return dir.findTensor(hfName);
    }

    @Override
    public String describe() {
        return dir.dir().toString();
    }

    @Override
    public void close() {
        dir.close();
    }
}
