package dev.slmops.model.lora;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.arch.ModelTensors;
import dev.slmops.model.format.StoredTensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A LoRA adapter: per projection (keyed by HF module name, e.g. {@code model.layers.3.self_attn.q_proj}) the
 * low-rank pair {@link LoraWeights}, plus the full tensors of {@code modules_to_save} (keyed by HF tensor name,
 * e.g. {@code lm_head.weight}), which replace the base's.
 *
 * <p>The engine attaches an adapter per sequence without merging (Transformer.SequenceInput); a trainer updates
 * the A/B buffers in place and the engine reads the live values. Identity is the adapter's: two loads are two
 * adapters.
 *
 * @see LoraTargets for the module names of each architecture
 */
public final class LoraAdapter {
    private final String name;
    private final int rank;
    private final float alpha;
    private final boolean rsLora;
    private final List<String> targetModules;
    private final Map<String, LoraWeights> modules;
    private final Map<String, StoredTensor> savedTensors;
    private final List<String> modulesToSave;
    private final float[] values; // the one buffer behind every module's A and B, or null

    /**
     * @param rank          r of adapter_config.json (modules may differ through rank_pattern: each LoraWeights
     *                      carries its own r and scale)
     * @param targetModules target_modules as written in adapter_config.json (short names)
     * @param modules       HF module name → its A/B pair, in file order
     * @param savedTensors  HF tensor name → full replacement tensor (modules_to_save); empty if none
     */
    public LoraAdapter(String name, int rank, float alpha, boolean rsLora, List<String> targetModules,
                       Map<String, LoraWeights> modules, Map<String, StoredTensor> savedTensors) {
        this(name, rank, alpha, rsLora, targetModules, modules, savedTensors, derivedModulesToSave(savedTensors.keySet()));
    }

    /**
     * @param modulesToSave modules_to_save as written in adapter_config.json (PEFT's suffix names, e.g. lm_head,
     *                      norm); which tensors they selected is {@code savedTensors}' key set
     */
    public LoraAdapter(String name, int rank, float alpha, boolean rsLora, List<String> targetModules,
                       Map<String, LoraWeights> modules, Map<String, StoredTensor> savedTensors, List<String> modulesToSave) {
        if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
        this.name = name;
        this.rank = rank;
        this.alpha = alpha;
        this.rsLora = rsLora;
        this.targetModules = List.copyOf(targetModules);
        this.modules = Collections.unmodifiableMap(new LinkedHashMap<>(modules));
        this.savedTensors = Collections.unmodifiableMap(new LinkedHashMap<>(savedTensors));
        this.modulesToSave = List.copyOf(modulesToSave);
        this.values = sharedBuffer(this.modules);
    }

    /** The last name part of each saved tensor's module ("model.norm.weight" -> "norm"), once each. */
    private static List<String> derivedModulesToSave(java.util.Set<String> savedTensorNames) {
        return savedTensorNames.stream().map(ModulesToSave::moduleOf).map(m -> m.substring(m.lastIndexOf('.') + 1))
                .distinct().toList();
    }

    /** The buffer every A and B lives in when it is one (it is for init and the file readers), else null. */
    private static float[] sharedBuffer(Map<String, LoraWeights> modules) {
        float[] buf = null;
        for (LoraWeights w : modules.values()) {
            if (buf == null) buf = w.a();
            if (w.a() != buf || w.b() != buf) return null;
        }
        return buf;
    }

    /** PEFT's scaling: alpha / r, or alpha / sqrt(r) with rsLoRA. */
    public static float scale(int r, float alpha, boolean rsLora) {
        return (float) (rsLora ? alpha / Math.sqrt(r) : (double) alpha / r);
    }

    /**
     * A fresh adapter over {@code targets} of a model, all A and B in one flat buffer (module after module: A then
     * B). A is drawn as PEFT does (Kaiming-uniform with a=√5: U(-1/√in, 1/√in)); B is zero so the adapter starts as
     * the identity, unless {@code bStd > 0} (tests: a random adapter with a visible effect, B ~ U(-√3·bStd, √3·bStd)).
     */
    public static LoraAdapter init(String name, ModelConfig c, List<String> targets, int rank, float alpha,
                                   boolean rsLora, long seed, double bStd) {
        List<LoraTargets.Module> selected = LoraTargets.select(c, targets);
        long total = 0;
        for (LoraTargets.Module m : selected) total += (long) rank * (m.in() + m.out());
        if (total > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("adapter of " + total + " values is too large");
        float[] buf = new float[(int) total];
        SplittableRandom rnd = new SplittableRandom(seed);
        float s = scale(rank, alpha, rsLora);
        Map<String, LoraWeights> mods = new LinkedHashMap<>();
        int off = 0;
        for (LoraTargets.Module m : selected) {
            int aOff = off, aLen = rank * m.in();
            double bound = 1.0 / Math.sqrt(m.in());
            for (int i = 0; i < aLen; i++) buf[aOff + i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            int bOff = aOff + aLen, bLen = m.out() * rank;
            if (bStd > 0) {
                double bb = Math.sqrt(3) * bStd;
                for (int i = 0; i < bLen; i++) buf[bOff + i] = (float) ((rnd.nextDouble() * 2 - 1) * bb);
            }
            off = bOff + bLen;
            mods.put(m.name(), new LoraWeights(rank, m.in(), m.out(), s, buf, aOff, buf, bOff));
        }
        return new LoraAdapter(name, rank, alpha, rsLora, targets, mods, Map.of());
    }

    public String name() {
        return name;
    }

    public int rank() {
        return rank;
    }

    public float alpha() {
        return alpha;
    }

    public boolean rsLora() {
        return rsLora;
    }

    /** Default scale of the adapter (modules carry their own, which rank/alpha patterns may change). */
    public float scale() {
        return scale(rank, alpha, rsLora);
    }

    public List<String> targetModules() {
        return targetModules;
    }

    /** HF module name → A/B pair. */
    public Map<String, LoraWeights> modules() {
        return modules;
    }

    /** The pair for one module, or null when the adapter leaves it alone. */
    public LoraWeights module(String hfModuleName) {
        return modules.get(hfModuleName);
    }

    /**
     * The flat buffer holding every module's A and B (module after module, A [r, in] then B [out, r], in
     * {@link #modules()} order; offsets in each LoraWeights; a trainer's adapter keeps its saved tensors after them), for a trainer's flat parameter/gradient layout. The
     * engine reads it live, so updating it in place updates the adapter. Null when the modules use separate buffers.
     */
    public float[] values() {
        return values;
    }

    /** modules_to_save: HF tensor name → replacement tensor. */
    public Map<String, StoredTensor> savedTensors() {
        return savedTensors;
    }

    /** modules_to_save as adapter_config.json names them (empty when the adapter saves no whole modules). */
    public List<String> modulesToSave() {
        return modulesToSave;
    }

    /**
     * The same low-rank pairs (the same buffers, so a trainer's updates show) without the whole tensors, for a model
     * that bound those in place of its own (LoadedModel under an adapter). Keeps modules_to_save's names.
     */
    public LoraAdapter withoutSavedTensors() {
        return new LoraAdapter(name, rank, alpha, rsLora, targetModules, modules, Map.of(), modulesToSave);
    }

    /**
     * Checks the adapter against a model: every module exists there with the same shape. Throws
     * IllegalArgumentException naming the first mismatch.
     */
    public void checkFits(ModelConfig c) {
        Map<String, LoraTargets.Module> all = LoraTargets.all(c);
        for (Map.Entry<String, LoraWeights> e : modules.entrySet()) {
            LoraTargets.Module m = all.get(e.getKey());
            LoraWeights w = e.getValue();
            if (m == null) {
                throw new IllegalArgumentException("adapter " + name + " targets " + e.getKey() + ", which this "
                        + c.arch().hfModelType + " model does not have (is the adapter for another base model?)");
            }
            if (m.in() != w.in() || m.out() != w.out()) {
                throw new IllegalArgumentException("adapter " + name + ": " + e.getKey() + " is [" + w.out() + ", "
                        + w.in() + "] in the adapter but [" + m.out() + ", " + m.in() + "] in the model (is the "
                        + "adapter for another base model?)");
            }
        }
        Map<String, long[]> tensors = new LinkedHashMap<>();
        for (ModelTensors.Spec s : ModelTensors.of(c)) tensors.put(s.name(), s.shape());
        tensors.putIfAbsent(ModulesToSave.LM_HEAD, new long[] {c.vocabSize(), c.hiddenSize()}); // a tied head, untied
        for (Map.Entry<String, StoredTensor> e : savedTensors.entrySet()) {
            long[] shape = tensors.get(e.getKey());
            if (shape == null) {
                throw new IllegalArgumentException("adapter " + name + " saves a whole tensor " + e.getKey() + " (modules_to_save), "
                        + "which this " + c.arch().hfModelType + " model does not have (is the adapter for another base model?)");
            }
            if (!java.util.Arrays.equals(shape, e.getValue().shape())) {
                throw new IllegalArgumentException("adapter " + name + ": its " + e.getKey() + " (modules_to_save) is "
                        + java.util.Arrays.toString(e.getValue().shape()) + " but the model's is " + java.util.Arrays.toString(shape)
                        + " (is the adapter for another base model?)");
            }
        }
    }

    @Override
    public String toString() {
        return "LoraAdapter[" + name + ", r=" + rank + ", alpha=" + alpha + (rsLora ? ", rsLoRA" : "") + ", "
                + modules.size() + " modules" + (savedTensors.isEmpty() ? "" : ", " + savedTensors.size() + " saved") + "]";
    }
}
