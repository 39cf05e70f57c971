package dev.slmops.cli;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.convert.HfExport;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.gguf.GgufLoraFiles;
import dev.slmops.model.format.peft.PeftAdapterFiles;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.tensor.quant.Quantize;
import dev.slmops.train.Example;
import dev.slmops.train.FullFineTuning;
import dev.slmops.train.LoraConfig;
import dev.slmops.train.LoraFineTuning;
import dev.slmops.train.Parameters;
import dev.slmops.train.Trainable;
import dev.slmops.train.data.DatasetOptions;
import dev.slmops.train.data.JsonlDataset;
import dev.slmops.workflows.merge.AdapterMerge;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The real engine under {@code slmops finetune}: loads the model (HF directory or GGUF, through ModelFiles as every
 * command does), builds {@link FullFineTuning} or {@link LoraFineTuning}, reads JSONL with {@link JsonlDataset}, and
 * writes the outputs:
 * <ul>
 * <li>lora/qlora: {@code adapter/} (PEFT: adapter_config.json + adapter_model.safetensors), {@code adapter.gguf}
 * (llama.cpp's GGUF LoRA; not with modules_to_save, which it cannot carry, nor with --save-gguf false), and with --merge {@code merged/} (HF safetensors, base + adapter folded in);</li>
 * <li>full: {@code model/} (HF safetensors: config, tokenizer files, weights in --save-dtype).</li>
 * </ul>
 * The adapter written is {@link LoraFineTuning#adapter()}: the very buffer the trainer updated, no copy.
 *
 * <p>One base at a time: the source files stay open (the frozen base is read from them) until {@link #close()}; a
 * later {@link #load} of the same base (model, qlora type, threads) reuses it, so a recipe of several adapters loads
 * and quantizes the base once.
 */
final class TrainingBackend implements FinetuneBackend, AutoCloseable {
    private final Consumer<String> warnings;
    private ModelFiles files;
    private WorkerPool pool;
    private Arena arena;
    private WeightSource base;  // files.weights(), or for qlora its projections quantized (once, memoised)
    private String baseKey;     // model path, qlora type and threads of the open base

    TrainingBackend(Consumer<String> warnings) {
        this.warnings = warnings;
    }

    @Override
    public Trainable load(FinetuneSpec spec) throws IOException {
        openBase(spec);
        ModelConfig c = files.config();
        int context = Math.min(c.contextLength(), Math.max(spec.seqLen(), 2));
        if (spec.method().equals("full")) {
            if (!spec.modulesToSave().isEmpty()) {
                throw new IllegalArgumentException("--modules-to-save is for lora/qlora (full fine-tuning trains every module)");
            }
            return FullFineTuning.create(c, files.weights(), context, pool).gradientCheckpointing(spec.gradCheckpointing());
        }
        LoraConfig lora = new LoraConfig(spec.loraR(), (float) spec.loraAlpha(), (float) spec.loraDropout(),
                spec.targetModules(), spec.useRslora(), spec.seed(), spec.modulesToSave());
        return LoraFineTuning.create(c, base, lora, context, pool).gradientCheckpointing(spec.gradCheckpointing());
    }

    /**
     * Opens the model (and for qlora quantizes its projections) unless the base already open is the one
     * {@code spec} asks for: several adapters trained one after another on one base load it once.
     */
    private void openBase(FinetuneSpec spec) throws IOException {
        String key = spec.model().toAbsolutePath().normalize() + "|" + (spec.method().equals("qlora") ? spec.quantType() : "")
                + "|" + spec.threads();
        if (key.equals(baseKey)) return;
        close();
        files = ModelFiles.open(spec.model());
        pool = new WorkerPool(Math.max(1, spec.threads()));
        base = files.weights();
        if (spec.method().equals("qlora")) {
            arena = Arena.ofShared();
            base = new QuantizedBase(base, qloraType(spec.quantType()), arena, warnings, new ConcurrentHashMap<>());
        }
        baseKey = key;
    }

    /** The frozen base the last load used (tests: one instance for every adapter of a recipe). */
    WeightSource base() {
        return base;
    }

    static DType qloraType(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "q4_0" -> DType.Q4_0;
            case "q4_1" -> DType.Q4_1;
            case "q8_0" -> DType.Q8_0;
            case "q4_k" -> DType.Q4_K;
            case "q5_k" -> DType.Q5_K;
            case "q6_k" -> DType.Q6_K;
            default -> throw new IllegalArgumentException("--quant-type " + name + ": expected q4_0, q4_1, q8_0, q4_k, q5_k or q6_k");
        };
    }

    @Override
    public List<Example> readData(Path jsonl, FinetuneSpec spec, Trainable model) throws IOException {
        DatasetOptions o = DatasetOptions.defaults().withSeqLen(spec.seqLen())
                .withCompletionOnlyLoss(spec.completionOnlyLoss()).withTextTemplate(spec.textTemplate())
                .withSkipBadRecords(spec.skipBadRecords()).withSeed(spec.seed(), false);
        if (files.chatTemplate().isFallback()) {
            warnings.accept(spec.model() + " has no chat template: any chat (messages) records are rendered with the "
                    + "ChatML fallback, which the model was not trained on");
        }
        JsonlDataset.Loaded loaded = JsonlDataset.loadForEvaluation(jsonl, o, files.tokenizer(), files.chatTemplate());
        if (!loaded.skipped().isEmpty() || loaded.truncated() > 0) warnings.accept(jsonl + ": " + loaded.summary());
        return loaded.train();
    }

    @Override
    public List<Path> saveOutputs(Trainable model, FinetuneSpec spec, Path output) throws IOException {
        DType dtype = Dtypes.floatType(spec.saveDtype());
        List<Path> written = new ArrayList<>();
        if (model instanceof LoraFineTuning lora) {
            Path peft = output.resolve("adapter");
            PeftAdapterFiles.write(lora.adapter(), peft, DType.F32, spec.model().toAbsolutePath().toString(), true);
            written.add(peft);
            if (!spec.saveGguf()) {
                // not asked for
            } else if (!lora.adapter().savedTensors().isEmpty()) {
                warnings.accept("no adapter.gguf: a GGUF LoRA file cannot carry modules_to_save " + spec.modulesToSave()
                        + " (llama.cpp loads only LoRA pairs); use adapter/ or the merged model (--merge)");
            } else {
                Path gguf = output.resolve("adapter.gguf");
                GgufLoraFiles.write(lora.adapter(), files.config(), gguf, DType.F32);
                written.add(gguf);
            }
            if (spec.merge()) {
                written.add(AdapterMerge.merge(files, lora.adapter(), output.resolve("merged"), dtype,
                        AdapterMerge.Format.HF, true, warnings));
            }
        } else if (model instanceof FullFineTuning full) {
            written.add(HfExport.write(files, trainedTensors(full.parameters()), dtype, output.resolve("model"), true, warnings));
        } else {
            throw new IllegalStateException("unknown trainable " + model.getClass().getName());
        }
        return written;
    }

    /** HF tensor name -> its trained F32 values (copies out of the flat parameter buffer). */
    static Map<String, float[]> trainedTensors(Parameters p) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Parameters.Entry e : p.entries()) {
            float[] v = new float[e.length()];
            System.arraycopy(p.values(), e.offset(), v, 0, e.length());
            out.put(e.name(), v);
        }
        return out;
    }

    @Override
    public WorkerPool pool(Trainable model) {
        return pool;
    }

    /** Stops the worker threads and closes the model files (the trainable must not be used afterwards). */
    @Override
    public void close() {
        if (pool != null) pool.close();
        if (files != null) files.close();
        if (arena != null) arena.close();
        pool = null;
        files = null;
        arena = null;
        base = null;
        baseKey = null;
    }

    /**
     * QLoRA's frozen base: projection matrices stored as F32/F16/BF16 are quantized to {@code type} once at load
     * (already-quantized ones stay as stored); everything else passes through. A matrix whose rows are not whole
     * blocks of the type stays as stored, with a warning.
     */
    record QuantizedBase(WeightSource src, DType type, Arena arena, Consumer<String> warnings,
                         Map<String, Optional<StoredTensor>> quantized) implements WeightSource {
        /** Each tensor quantized once: every adapter trained on this base (and each binding pass) shares it. */
        @Override
        public Optional<StoredTensor> find(String name) {
            Optional<StoredTensor> done = quantized.get(name);
            if (done != null) return done;
            Optional<StoredTensor> t = quantize(name);
            quantized.put(name, t);
            return t;
        }

        private Optional<StoredTensor> quantize(String name) {
            Optional<StoredTensor> t = src.find(name);
            if (t.isEmpty() || t.get().rank() != 2 || !name.startsWith("model.layers.") || !name.endsWith("_proj.weight")) return t;
            StoredTensor s = t.get();
            if (s.dtype().isQuantized()) return t;
            long in = s.shape()[1];
            if (in % type.blockSize != 0) {
                warnings.accept(name + ": rows of " + in + " values are not whole " + type + " blocks of " + type.blockSize
                        + "; kept as " + s.dtype());
                return t;
            }
            int n = Math.toIntExact(s.elementCount());
            float[] f = new float[n];
            Dequantize.toFloat(s.dtype(), s.data(), 0, f, 0, n);
            MemorySegment q = arena.allocate(type.bytesFor(n), 16);
            Quantize.fromFloat(type, f, 0, q, 0, n);
            return Optional.of(new StoredTensor(name, type, s.shape(), q));
        }

        @Override
        public String describe() {
            return src.describe() + " (projections quantized to " + type + ")";
        }

        @Override
        public void close() {
        }
    }
}
