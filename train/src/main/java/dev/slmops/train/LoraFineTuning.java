package dev.slmops.train;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.arch.ModelTensors;
import dev.slmops.model.engine.ModelWeights;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.engine.WeightBinder;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.layers.DenseProjection;
import dev.slmops.model.layers.Embedding;
import dev.slmops.model.layers.FrozenProjection;
import dev.slmops.model.layers.Projection;
import dev.slmops.model.layers.Vec;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraWeights;
import dev.slmops.model.lora.ModulesToSave;
import dev.slmops.model.lora.RowAdapters;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.train.model.NextTokenLoss;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LoRA (and QLoRA): the base model frozen in its stored dtype (F32, F16, BF16, Q8_0, Q4_0, K-quants; projections
 * dequantized a tile at a time, never held in F32), and an adapter A [r, in], B [out, r] on every target module as
 * the parameters. Entries carry PEFT's key names
 * ({@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}); A starts as PEFT's (uniform in
 * +-1/sqrt(in)), B at zero, so training starts from the base model. The adapter runs on every row of the model's one
 * {@link Transformer} through the same LoRA-aware projection as inference ({@code model.lora.LoraProjection}).
 * PEFT's modules_to_save (lm_head, embed_tokens, norms ...) are trained as full F32 copies after the pairs, as
 * entries named {@code base_model.model.<tensor name>} (PEFT's saved key); tied embeddings are untied as PEFT does
 * (see model/lora ModulesToSave).
 *
 * <p>The weight source must stay open while this object is used: the frozen weights are read from it.
 */
public final class LoraFineTuning implements Trainable, dev.slmops.train.loop.RandomState {
    private static final Set<String> LAYER_MODULES = Set.of("q_proj", "k_proj", "v_proj", "qkv_proj", "o_proj",
            "gate_proj", "up_proj", "gate_up_proj", "down_proj");

    private final Parameters params;
    private final NextTokenLoss model;
    private final RowAdapters rows; // the adapter on every row, with its gradients and dropout
    private final long seed;
    private final LoraAdapter adapter;
    private long steps;

    private LoraFineTuning(Parameters params, NextTokenLoss model, RowAdapters rows, long seed, LoraAdapter adapter) {
        this.adapter = adapter;
        this.params = params;
        this.model = model;
        this.rows = rows;
        this.seed = seed;
    }

    /** PEFT's prefix of a whole saved tensor (modules_to_save): {@code base_model.model.lm_head.weight}. */
    public static final String SAVED_PREFIX = "base_model.model.";

    /** PEFT's key of an adapter matrix: which is "A" or "B". */
    public static String peftKey(String weightName, String which) {
        return "base_model.model." + weightName.substring(0, weightName.length() - ".weight".length())
                + ".lora_" + which + ".weight";
    }

    /** "model.layers.3.self_attn.q_proj.weight" -> "q_proj". */
    static String moduleOf(String weightName) {
        String p = weightName.substring(0, weightName.length() - ".weight".length());
        return p.substring(p.lastIndexOf('.') + 1);
    }

    public static LoraFineTuning create(ModelConfig c, WeightSource src, LoraConfig lora, int contextInUse,
                                        WorkerPool pool) {
        Set<String> targets = new LinkedHashSet<>(lora.targetModules());
        boolean allLinear = targets.remove("all-linear");
        Set<String> unused = new LinkedHashSet<>(targets); // named explicitly, so each must exist
        if (allLinear) targets.addAll(LAYER_MODULES);
        // First pass: which matrices get adapters, and their shapes (the parameter layout).
        List<String> names = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        ModelWeights.bind(c, new FrozenBinder(src) {
            @Override
            public Projection matrix(String module, int out, int in, Vec bias) {
                String m = moduleOf(module + ".weight");
                if (module.startsWith("model.layers.") && targets.contains(m)) {
                    unused.remove(m);
                    names.add(module + ".weight");
                    shapes.add(new int[] {out, in});
                }
                return null;
            }

            @Override
            public Embedding embedding(String name, int vocab, int dim, float scale) {
                return null;
            }

            @Override
            public Vec vector(String name, int n) {
                return null;
            }

            @Override
            public Projection tiedOutput(int vocab, int dim) {
                return null;
            }
        });
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException("LoRA target modules " + unused + " do not exist in this " + c.arch()
                    + " model; its projections are named " + moduleNames(c));
        }
        int r = lora.r();
        // The parameters ARE a model/lora LoraAdapter's flat buffer: what the trainer updates is what the engine,
        // the PEFT/GGUF writers and the merge read (no copy, no conversion). A as PEFT (U(+-1/sqrt(in))), B = 0.
        // modules_to_save follow the A/B pairs in the same buffer, as F32 copies of the base tensors.
        LoraAdapter init = LoraAdapter.init("finetune", c, List.copyOf(lora.targetModules()), r, lora.alpha(),
                lora.rsLora(), lora.seed(), 0);
        List<ModelTensors.Spec> saved = lora.modulesToSave().isEmpty() ? List.of()
                : ModulesToSave.select(c, lora.modulesToSave());
        for (ModelTensors.Spec s : saved) {
            if (names.contains(ModulesToSave.moduleOf(s.name()) + ".weight")) {
                throw new IllegalArgumentException("modules_to_save " + lora.modulesToSave() + " selects "
                        + ModulesToSave.moduleOf(s.name()) + ", which also gets a LoRA adapter (target_modules "
                        + lora.targetModules() + "): a module is either adapted or trained whole, not both");
            }
        }
        long total = init.values().length;
        for (ModelTensors.Spec s : saved) total += Arrays.stream(s.shape()).reduce(1, Math::multiplyExact);
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the adapters and modules_to_save hold " + total + " values, more than one "
                    + "F32 buffer of 2^31 can: save fewer modules");
        }
        float[] values = Arrays.copyOf(init.values(), (int) total);
        Map<String, LoraWeights> modules = new LinkedHashMap<>();
        init.modules().forEach((m, w) -> modules.put(m, new LoraWeights(w.r(), w.in(), w.out(), w.scale(), values,
                w.aOffset(), values, w.bOffset())));
        Map<String, StoredTensor> savedTensors = new LinkedHashMap<>();
        Map<String, Parameters.Entry> savedEntries = new LinkedHashMap<>();
        int off = init.values().length;
        MemorySegment all = MemorySegment.ofArray(values);
        for (ModelTensors.Spec s : saved) {
            int n = Math.toIntExact(Arrays.stream(s.shape()).reduce(1, Math::multiplyExact));
            // a tied head's copy starts from the embedding table (the one tensor the files hold for both)
            String from = s.name().equals(ModulesToSave.LM_HEAD) && c.tieEmbeddings() ? ModulesToSave.EMBEDDING : s.name();
            StoredTensor t = src.require(from);
            if (!Arrays.equals(t.shape(), s.shape())) {
                throw new IllegalArgumentException(src.describe() + ": tensor " + from + " has shape "
                        + Arrays.toString(t.shape()) + ", the config implies " + Arrays.toString(s.shape()));
            }
            Dequantize.toFloat(t.dtype(), t.data(), 0, values, off, n);
            savedTensors.put(s.name(), new StoredTensor(s.name(), DType.F32, s.shape(), all.asSlice(4L * off, 4L * n)));
            boolean decay = s.kind() == ModelTensors.Kind.MATRIX || s.kind() == ModelTensors.Kind.EMBEDDING;
            savedEntries.put(s.name(), new Parameters.Entry(SAVED_PREFIX + s.name(),
                    Arrays.stream(s.shape()).mapToInt(Math::toIntExact).toArray(), off, n, decay));
            off += n;
        }
        LoraAdapter adapter = new LoraAdapter("finetune", r, lora.alpha(), lora.rsLora(), List.copyOf(lora.targetModules()),
                modules, savedTensors, lora.modulesToSave());
        List<Parameters.Entry> entries = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String module = names.get(i).substring(0, names.get(i).length() - ".weight".length());
            LoraWeights lw = adapter.module(module);
            int out = shapes.get(i)[0], in = shapes.get(i)[1];
            if (lw == null || lw.in() != in || lw.out() != out || lw.r() != r) {
                throw new IllegalStateException("LoRA targets of the training model and of model/lora disagree on "
                        + module + " (" + lw + " vs [" + out + ", " + in + "])");
            }
            entries.add(new Parameters.Entry(peftKey(names.get(i), "A"), new int[] {r, in}, lw.aOffset(), r * in, true));
            entries.add(new Parameters.Entry(peftKey(names.get(i), "B"), new int[] {out, r}, lw.bOffset(), out * r, true));
        }
        if (adapter.modules().size() != names.size()) {
            throw new IllegalStateException("LoRA targets of the training model (" + names.size() + ") and of model/lora ("
                    + adapter.modules().size() + ") differ");
        }
        entries.addAll(savedEntries.values());
        float[] grads = new float[values.length];
        ModelWeights w = ModelWeights.bind(c, new FrozenBinder(src) {
            private Parameters.Entry saved(String name) {
                return savedEntries.get(name);
            }

            @Override
            public Embedding embedding(String name, int vocab, int dim, float scale) {
                Parameters.Entry e = saved(name);
                return e == null ? super.embedding(name, vocab, dim, scale) : Embedding.trainable(dim, scale, values, grads, e.offset());
            }

            @Override
            public Vec vector(String name, int n) {
                Parameters.Entry e = saved(name);
                return e == null ? super.vector(name, n) : new Vec(values, grads, e.offset(), n);
            }

            @Override
            public Projection matrix(String module, int out, int in, Vec bias) {
                Parameters.Entry e = saved(module + ".weight");
                return e == null ? super.matrix(module, out, in, bias)
                        : new DenseProjection(module, out, in, values, grads, e.offset(), bias);
            }

            @Override
            public Projection tiedOutput(int vocab, int dim) {
                Parameters.Entry e = saved(ModulesToSave.LM_HEAD); // an untied, trained copy of the head
                return e == null ? super.tiedOutput(vocab, dim)
                        : new DenseProjection("lm_head", vocab, dim, values, grads, e.offset(), null);
            }
        });
        RowAdapters rows = RowAdapters.training(adapter, grads, lora.dropout());
        return new LoraFineTuning(new Parameters(values, grads, entries),
                new NextTokenLoss(new Transformer(w, contextInUse, pool), rows, pool), rows, lora.seed(), adapter);
    }

    private static String moduleNames(ModelConfig c) {
        return c.arch() == dev.slmops.model.arch.Arch.PHI3 ? "qkv_proj, o_proj, gate_up_proj, down_proj"
                : "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj";
    }

    /** Every weight frozen as stored: projections dequantized per tile, vectors copied to F32. */
    private static class FrozenBinder implements WeightBinder {
        private final WeightSource src;

        FrozenBinder(WeightSource src) {
            this.src = src;
        }

        private StoredTensor tensor(String name, long... shape) {
            StoredTensor t = src.require(name);
            if (!Arrays.equals(t.shape(), shape)) {
                throw new IllegalArgumentException(src.describe() + ": tensor " + name + " has shape "
                        + Arrays.toString(t.shape()) + ", the config implies " + Arrays.toString(shape));
            }
            return t;
        }

        @Override
        public Embedding embedding(String name, int vocab, int dim, float scale) {
            StoredTensor t = tensor(name, vocab, dim);
            return Embedding.frozen(dim, scale, t.dtype(), t.data());
        }

        @Override
        public Vec vector(String name, int n) {
            StoredTensor t = tensor(name, n);
            float[] f = new float[n];
            Dequantize.toFloat(t.dtype(), t.data(), 0, f, 0, n);
            return Vec.frozen(f);
        }

        @Override
        public Projection matrix(String module, int out, int in, Vec bias) {
            StoredTensor t = tensor(module + ".weight", out, in);
            return new FrozenProjection(module, t.dtype(), t.data(), out, in, bias);
        }

        /** The base's table, frozen, even when the embedding itself is trained (modules_to_save embed_tokens). */
        @Override
        public Projection tiedOutput(int vocab, int dim) {
            StoredTensor t = tensor("model.embed_tokens.weight", vocab, dim);
            return new FrozenProjection("lm_head", t.dtype(), t.data(), vocab, dim, null);
        }
    }

    /**
     * The adapter being trained, as the inference engine, the PEFT/GGUF writers and the merge take it: its
     * {@link LoraAdapter#values()} is {@link #parameters()}'s value buffer, so it always holds the current weights.
     */
    public LoraAdapter adapter() {
        return adapter;
    }

    public LoraFineTuning gradientCheckpointing(boolean on) {
        model.gradientCheckpointing(on);
        return this;
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public Loss forwardBackward(List<Example> batch) {
        rows.stepSeed(seed * 31 + ++steps);
        rows.training(true);
        return model.forwardBackward(batch);
    }

    /** The dropout masks' state: the count of micro-batches trained (each one's masks derive from seed and count). */
    @Override
    public long[] randomState() {
        return new long[] {steps};
    }

    @Override
    public void restoreRandomState(long[] state) {
        if (state.length != 1) throw new IllegalArgumentException("LoRA random state: expected 1 value, got " + state.length);
        steps = state[0];
    }

    @Override
    public Loss evaluate(List<Example> batch) {
        rows.training(false);
        return model.evaluate(batch);
    }
}
