package dev.slmops.cli;

import dev.slmops.train.Example;
import dev.slmops.train.Trainable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code slmops finetune} needs below the trainer loop: a Trainable for the model and method, examples from a
 * JSONL file, and the final outputs (PEFT/GGUF adapter or full model). {@link TrainingBackend} is the real one (the
 * training engine and the dataset reader); tests pass a small model of their own.
 */
public interface FinetuneBackend {
    /** Loads the model and prepares it for the method (full: all weights trainable; lora/qlora: fresh adapters). */
    Trainable load(FinetuneSpec spec) throws IOException;

    /**
     * Reads a JSONL dataset into examples with the model's tokenizer and chat template (train.data.JsonlDataset with
     * the spec's seq-len, template, completion-only and skip-bad-records settings, shuffle off: the Trainer shuffles
     * per epoch from the seed, and a resume checks the examples' fingerprint, so their order must be reproducible).
     */
    List<Example> readData(Path jsonl, FinetuneSpec spec, Trainable model) throws IOException;

    /** Writes the trained result under {@code output} (adapter files or model files) and returns what it wrote. */
    List<Path> saveOutputs(Trainable model, FinetuneSpec spec, Path output) throws IOException;

    /**
     * The engine's worker pool, which the loop then uses for AdamW, clipping and gradient scaling too (one pool of
     * spinning threads, not two); null runs those on the calling thread.
     */
    default dev.slmops.tensor.parallel.WorkerPool pool(Trainable model) {
        return null;
    }

    /** A backend that refuses clearly (builds without the training engine; tests of the refusal path). */
    FinetuneBackend NOT_AVAILABLE = new FinetuneBackend() {
        @Override
        public Trainable load(FinetuneSpec spec) {
            throw new IllegalStateException("slmops finetune: the training engine (backward passes for "
                    + spec.method() + ") is not part of this build yet; the options were valid");
        }

        @Override
        public List<Example> readData(Path jsonl, FinetuneSpec spec, Trainable model) {
            throw new IllegalStateException("slmops finetune: the dataset reader is not part of this build yet");
        }

        @Override
        public List<Path> saveOutputs(Trainable model, FinetuneSpec spec, Path output) {
            throw new IllegalStateException("slmops finetune: the adapter writer is not part of this build yet");
        }
    };
}
