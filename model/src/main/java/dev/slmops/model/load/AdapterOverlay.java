package dev.slmops.model.load;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.ModulesToSave;

import java.util.Map;
import java.util.Optional;

/**
 * A base model under a LoRA adapter without merging, as PEFT's {@code PeftModel.from_pretrained} builds it: the
 * adapter's whole tensors ({@code modules_to_save}: a trained head, norms, an embedding) are found before the base's,
 * a saved head or embedding of a tied model unties it (the other keeps the original table), and the low-rank pairs
 * stay apart for the engine to apply per sequence. A server mixing adapters per request cannot swap whole tensors per
 * sequence: only a model loaded this way runs an adapter that saves modules.
 *
 * @param config  the base's configuration, untied when the adapter saves a tied model's head or embedding
 * @param weights the base's tensors with the adapter's saved ones in their place: bind the model over these
 * @param pairs   the adapter without its saved tensors (the same A/B buffers), for the engine's forward
 */
public record AdapterOverlay(ModelConfig config, WeightSource weights, LoraAdapter pairs) {

    /** Checks the adapter against the base (IllegalArgumentException naming the first mismatch) and overlays it. */
    public static AdapterOverlay of(ModelConfig base, WeightSource baseWeights, LoraAdapter adapter) {
        adapter.checkFits(base);
        Map<String, StoredTensor> saved = adapter.savedTensors();
        if (saved.isEmpty()) return new AdapterOverlay(base, baseWeights, adapter);
        // Tied base: PEFT copies the table for a saved embedding or head, so the two part ways. A saved head replaces
        // the head; a saved embedding alone leaves the head reading the original table.
        boolean untie = base.tieEmbeddings()
                && (saved.containsKey(ModulesToSave.LM_HEAD) || saved.containsKey(ModulesToSave.EMBEDDING));
        ModelConfig c = untie ? base.untied() : base;
        Map<String, StoredTensor> replaced = new java.util.HashMap<>(saved);
        if (untie && !saved.containsKey(ModulesToSave.LM_HEAD)) {
            replaced.put(ModulesToSave.LM_HEAD, baseWeights.require(ModulesToSave.EMBEDDING));
        }
        WeightSource overlaid = new WeightSource() {
            @Override
            public Optional<StoredTensor> find(String hfName) {
                StoredTensor t = replaced.get(hfName);
                return t != null ? Optional.of(t) : baseWeights.find(hfName);
            }

            @Override
            public String describe() {
                return baseWeights.describe() + " under adapter " + adapter.name();
            }

            @Override
            public void close() {
                // the base's source belongs to whoever opened it
            }
        };
        return new AdapterOverlay(c, overlaid, adapter.withoutSavedTensors());
    }
}
