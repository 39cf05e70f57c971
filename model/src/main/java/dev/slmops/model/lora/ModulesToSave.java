package dev.slmops.model.lora;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.arch.ModelTensors;

import java.util.ArrayList;
import java.util.List;

/**
 * PEFT's {@code modules_to_save}: modules trained as full copies beside the LoRA pairs and saved whole in the adapter
 * (under {@code base_model.model.<tensor name>}). This class turns the names a user gives into the tensors they select.
 *
 * <p>PEFT's rule (utils/other.py {@code _set_trainable}): a module is selected when its dotted name ends with one of
 * the names as a plain string suffix. So {@code lm_head} selects the output head, {@code embed_tokens} the embedding,
 * and {@code norm} every module whose name ends in "norm": {@code model.norm}, each layer's
 * {@code input_layernorm}, {@code post_attention_layernorm}, {@code q_norm}, {@code k_norm}. A selected module
 * brings all its tensors (a projection with a bias brings both; {@code mlp} brings the layer's whole MLP).
 *
 * <p>Tied embeddings: the model has one table for {@code embed_tokens} and {@code lm_head}. As in PEFT (whose wrapper
 * deep-copies the module, so the copy's weight is no longer shared), each selected one becomes its own copy: saving
 * {@code lm_head} trains an untied head {@code lm_head.weight} (initialised from the embedding) while the input
 * embedding stays frozen; saving {@code embed_tokens} trains the input embedding while the output head stays the
 * original table. A merge then writes both tensors and sets {@code tie_word_embeddings} false.
 */
public final class ModulesToSave {
    private ModulesToSave() {
    }

    /** The tied head's tensor name, present as a module even when the file stores only the embedding. */
    public static final String LM_HEAD = "lm_head.weight";
    public static final String EMBEDDING = "model.embed_tokens.weight";

    /**
     * The tensors of a model selected by {@code names} (in the model's tensor order; with tied embeddings an
     * {@code lm_head.weight} [V, D] that the files do not store is among the candidates). Every name must select
     * something: IllegalArgumentException otherwise, listing the modules the model has.
     */
    public static List<ModelTensors.Spec> select(ModelConfig c, List<String> names) {
        List<ModelTensors.Spec> all = new ArrayList<>(ModelTensors.of(c));
        if (c.tieEmbeddings()) {
            all.add(new ModelTensors.Spec(LM_HEAD, ModelTensors.Kind.MATRIX, new long[] {c.vocabSize(), c.hiddenSize()}));
        }
        List<ModelTensors.Spec> out = new ArrayList<>();
        for (ModelTensors.Spec s : all) {
            if (names.stream().anyMatch(n -> matches(s.name(), n))) out.add(s);
        }
        for (String n : names) {
            if (n.isBlank()) throw new IllegalArgumentException("modules_to_save has an empty name");
            if (all.stream().noneMatch(s -> matches(s.name(), n))) {
                throw new IllegalArgumentException("modules_to_save \"" + n + "\" matches no module of this "
                        + c.arch().hfModelType + " model; PEFT matches the end of module names, e.g. lm_head, "
                        + "embed_tokens, norm (every norm), input_layernorm, post_attention_layernorm");
            }
        }
        return out;
    }

    /**
     * Whether tensor {@code tensorName} (e.g. {@code model.layers.0.input_layernorm.weight}) lies in a module whose
     * name ends with {@code key}: its module {@code model.layers.0.input_layernorm} or any enclosing one
     * ({@code model.layers.0}, {@code model.layers}, {@code model}).
     */
    public static boolean matches(String tensorName, String key) {
        String module = moduleOf(tensorName);
        while (!module.isEmpty()) {
            if (module.endsWith(key)) return true;
            int dot = module.lastIndexOf('.');
            module = dot < 0 ? "" : module.substring(0, dot);
        }
        return false;
    }

    /** "model.layers.0.self_attn.q_proj.bias" -> "model.layers.0.self_attn.q_proj". */
    public static String moduleOf(String tensorName) {
        int dot = tensorName.lastIndexOf('.');
        return dot < 0 ? tensorName : tensorName.substring(0, dot);
    }
}
