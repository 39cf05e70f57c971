package dev.slmops.model.lora;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.model.format.hf.HfModelWriter;
import dev.slmops.model.format.safetensors.TensorToWrite;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Tiny random models and adapters for the LoRA tests. */
final class LoraTestModels {
    private LoraTestModels() {
    }

    static final List<String> SHAPES = List.of("tiny-llama", "tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-phi3",
            "tiny-gemma3");

    static Path model(String shape, Path dir) throws IOException {
        return TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig(shape), DType.F32, 7, 0.1),
                null, dir, false);
    }

    /** A random adapter on every projection (B non-zero so it changes the logits visibly). */
    static LoraAdapter adapter(ModelConfig c, long seed) {
        return LoraAdapter.init("test", c, List.of("all-linear"), 4, 8f, false, seed, 0.05);
    }

    /** The HF model with the adapter merged in (the test's own merge: row-wise W + scale B A). */
    static Path merged(Path hf, LoraAdapter a, Path out) throws IOException {
        try (HfModelDir dir = HfModelDir.open(hf)) {
            List<TensorToWrite> tensors = new ArrayList<>();
            for (String name : dir.tensorNames()) {
                StoredTensor t = dir.tensor(name);
                LoraWeights w = name.endsWith(".weight") ? a.module(name.substring(0, name.length() - 7)) : null;
                tensors.add(w != null ? LoraMerge.merged(t, w, DType.F32) : TensorToWrite.of(t));
            }
            return new HfModelWriter(out).config(dir.config().raw()).copyTokenizerFiles(hf).tensors(tensors).write();
        }
    }

    static int[] tokens(int n, long seed) {
        int[] t = new int[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) t[i] = 3 + r.nextInt(250);
        return t;
    }

    static float[][] rows(float[] flat, int V) {
        float[][] r = new float[flat.length / V][];
        for (int t = 0; t < r.length; t++) r[t] = java.util.Arrays.copyOfRange(flat, t * V, (t + 1) * V);
        return r;
    }
}
