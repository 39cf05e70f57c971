package dev.slmops.model.format.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.SafeFiles;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.safetensors.SafetensorsFile;
import dev.slmops.model.format.safetensors.SafetensorsWriter;
import dev.slmops.model.format.safetensors.TensorToWrite;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraTargets;
import dev.slmops.model.lora.LoraWeights;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.tensor.quant.FloatConversions;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * PEFT's adapter directory: {@code adapter_config.json} + {@code adapter_model.safetensors}, with PEFT's key names
 * ({@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} [r, in], {@code ...lora_B.weight}
 * [out, r]; modules_to_save as {@code base_model.model.<tensor name>}). Values may be F32, F16 or BF16.
 */
public final class PeftAdapterFiles {
    private PeftAdapterFiles() {
    }

    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    static final String PREFIX = "base_model.model.";

    /** Whether {@code dir} looks like a PEFT adapter directory. */
    public static boolean isAdapterDir(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG));
    }

    /** modules_to_save of an adapter directory's config, read without its weights (empty when none). */
    public static List<String> modulesToSave(Path dir) throws IOException {
        Path configPath = dir.resolve(CONFIG);
        return modulesToSave(JsonFiles.parse(Files.readAllBytes(configPath), configPath.toString()));
    }

    private static List<String> modulesToSave(JsonNode cfg) {
        List<String> out = new ArrayList<>();
        JsonNode mts = cfg.path("modules_to_save");
        if (mts.isArray()) mts.forEach(t -> out.add(t.asText()));
        else if (mts.isTextual()) out.add(mts.asText());
        return out;
    }

    /** Reads an adapter directory; the adapter is named after the directory. */
    public static LoraAdapter read(Path dir) throws IOException {
        return read(dir, dir.getFileName() == null ? dir.toString() : dir.getFileName().toString());
    }

    /** Reads an adapter directory; every defect is a ModelFileException naming the file and what to do. */
    public static LoraAdapter read(Path dir, String name) throws IOException {
        Path configPath = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configPath)) {
            throw ModelFileException.worded(dir, "adapter dir " + dir + " has no " + CONFIG + ": expected a PEFT "
                    + "adapter directory (adapter_config.json + adapter_model.safetensors) or a GGUF LoRA file");
        }
        JsonNode cfg = JsonFiles.parse(Files.readAllBytes(configPath), configPath.toString());
        String peftType = cfg.path("peft_type").asText("LORA");
        if (!peftType.equals("LORA")) {
            throw new ModelFileException(configPath, "peft_type is " + peftType + "; only LORA adapters are supported");
        }
        if (cfg.path("use_dora").asBoolean(false)) {
            throw new ModelFileException(configPath, "use_dora is true; DoRA adapters are not supported (train with "
                    + "use_dora false)");
        }
        if (cfg.path("fan_in_fan_out").asBoolean(false)) {
            throw new ModelFileException(configPath, "fan_in_fan_out is true (GPT-2 Conv1D layers); the supported "
                    + "architectures use Linear layers");
        }
        String bias = cfg.path("bias").asText("none");
        if (!bias.equals("none")) {
            throw new ModelFileException(configPath, "bias is \"" + bias + "\"; only adapters with bias \"none\" are "
                    + "supported");
        }
        if (!cfg.path("r").canConvertToInt() || cfg.path("r").asInt() <= 0) {
            throw new ModelFileException(configPath, "r must be a positive integer, got " + cfg.path("r"));
        }
        int r = cfg.path("r").asInt();
        float alpha = (float) cfg.path("lora_alpha").asDouble(8);
        boolean rsLora = cfg.path("use_rslora").asBoolean(false);
        List<String> targets = new ArrayList<>();
        JsonNode tm = cfg.path("target_modules");
        if (tm.isArray()) tm.forEach(t -> targets.add(t.asText()));
        else if (tm.isTextual()) targets.add(tm.asText());
        Map<String, Double> alphaPattern = doubles(cfg.path("alpha_pattern"));
        List<String> modulesToSave = modulesToSave(cfg);

        Path weightsPath = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weightsPath)) {
            String more = Files.isRegularFile(dir.resolve("adapter_model.bin"))
                    ? " (found adapter_model.bin, a PyTorch pickle, which slmops does not read: save the adapter with "
                    + "safe_serialization=True)" : "";
            throw ModelFileException.worded(dir, "adapter dir " + dir + " has no " + WEIGHTS + more);
        }
        Map<String, StoredTensor> as = new LinkedHashMap<>(), bs = new LinkedHashMap<>();
        Map<String, StoredTensor> saved = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(weightsPath)) {
            for (StoredTensor t : f.tensors()) {
                String key = t.name();
                if (!key.startsWith(PREFIX)) {
                    throw new ModelFileException(weightsPath, "tensor \"" + key + "\" does not start with \"" + PREFIX
                            + "\": not a PEFT adapter of a causal LM");
                }
                String rest = key.substring(PREFIX.length());
                if (rest.contains(".lora_embedding_")) {
                    throw new ModelFileException(weightsPath, "tensor \"" + key + "\" is a LoRA on an embedding, "
                            + "which is not supported (target the projections, or put embed_tokens in modules_to_save)");
                }
                if (rest.contains(".lora_magnitude_vector")) {
                    throw new ModelFileException(weightsPath, "tensor \"" + key + "\" belongs to a DoRA adapter, "
                            + "which is not supported");
                }
                int ia = rest.indexOf(".lora_A."), ib = rest.indexOf(".lora_B.");
                if (ia >= 0 || ib >= 0) {
                    String module = rest.substring(0, Math.max(ia, ib));
                    String tail = rest.substring(Math.max(ia, ib) + 8);
                    if (!tail.equals("weight") && !tail.endsWith(".weight")) { // "weight" or "<adapter>.weight"
                        throw new ModelFileException(weightsPath, "tensor \"" + key + "\" is not a LoRA weight");
                    }
                    if (!FloatConversions.isConvertible(t.dtype()) || t.rank() != 2) {
                        throw new ModelFileException(weightsPath, "tensor \"" + key + "\" must be an F32/F16/BF16 "
                                + "matrix, got " + t.dtype() + java.util.Arrays.toString(t.shape()));
                    }
                    (ia >= 0 ? as : bs).put(module, copy(t));
                } else {
                    String tensor = rest.replace(".modules_to_save.default.", ".");
                    saved.put(tensor, copy(new StoredTensor(tensor, t.dtype(), t.shape(), t.data())));
                }
            }
        }
        if (!as.keySet().equals(bs.keySet())) {
            TreeSet<String> odd = new TreeSet<>(as.keySet());
            odd.addAll(bs.keySet());
            odd.removeIf(m -> as.containsKey(m) && bs.containsKey(m));
            throw new ModelFileException(weightsPath, "modules with lora_A but no lora_B or the other way round: " + odd);
        }
        long total = 0;
        for (String m : as.keySet()) total += as.get(m).elementCount() + bs.get(m).elementCount();
        if (total > Integer.MAX_VALUE - 8) throw new ModelFileException(weightsPath, "adapter too large: " + total + " values");
        float[] buf = new float[(int) total];
        Map<String, LoraWeights> modules = new LinkedHashMap<>();
        int off = 0;
        for (String m : as.keySet()) {
            StoredTensor a = as.get(m), b = bs.get(m);
            int rm = Math.toIntExact(a.dim(0)), in = Math.toIntExact(a.dim(1)), out = Math.toIntExact(b.dim(0));
            if (b.dim(1) != rm) {
                throw new ModelFileException(weightsPath, m + ": lora_A is " + java.util.Arrays.toString(a.shape())
                        + " and lora_B " + java.util.Arrays.toString(b.shape()) + ": their ranks differ");
            }
            float ma = alpha;
            for (Map.Entry<String, Double> e : alphaPattern.entrySet()) {
                if (LoraTargets.patternMatches(m, e.getKey())) ma = e.getValue().floatValue();
            }
            int aOff = off, bOff = off + rm * in;
            Dequantize.toFloat(a.dtype(), a.data(), 0, buf, aOff, rm * in);
            Dequantize.toFloat(b.dtype(), b.data(), 0, buf, bOff, out * rm);
            off = bOff + out * rm;
            modules.put(m, new LoraWeights(rm, in, out, LoraAdapter.scale(rm, ma, rsLora), buf, aOff, buf, bOff));
        }
        if (saved.isEmpty() || modulesToSave.isEmpty()) { // whole tensors without names: PEFT's save_embedding_layers
            return new LoraAdapter(name, r, alpha, rsLora, targets, modules, saved);
        }
        return new LoraAdapter(name, r, alpha, rsLora, targets, modules, saved, modulesToSave);
    }

    /**
     * Writes {@code adapter} as a new PEFT directory; an existing non-empty {@code dir} is refused (see the overload).
     *
     * @param baseModel base_model_name_or_path for the config (may be null)
     */
    public static void write(LoraAdapter adapter, Path dir, DType dtype, String baseModel) throws IOException {
        write(adapter, dir, dtype, baseModel, false);
    }

    /**
     * Writes {@code adapter} as a PEFT directory, A/B in {@code dtype} (F32, F16 or BF16; saved modules as held).
     * The directory appears whole or not at all: both files are written into a hidden sibling directory, forced to
     * disk and renamed into place; a process killed at any point leaves the previous directory (or none), never a
     * mix. An existing non-empty {@code dir} is replaced only when {@code replace} is true.
     *
     * @param baseModel base_model_name_or_path for the config (may be null)
     */
    public static void write(LoraAdapter adapter, Path dir, DType dtype, String baseModel, boolean replace) throws IOException {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("PEFT adapters are written as F32, F16 or BF16, not " + dtype);
        }
        if (!replace && !SafeFiles.isAbsentOrEmpty(dir)) {
            throw ModelFileException.worded(dir, "adapter output " + dir + " already exists; choose another output or "
                    + "allow replacing it (--force)");
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw ModelFileException.worded(dir, "adapter output " + dir + " is a file, not a directory");
        }
        Path tmp = SafeFiles.tempDirectoryFor(dir);
        try {
            writeFiles(adapter, tmp, dtype, baseModel);
            SafeFiles.publishDirectory(tmp, dir);
        } finally {
            SafeFiles.deleteTree(tmp); // gone already when published
        }
    }

    private static void writeFiles(LoraAdapter adapter, Path dir, DType dtype, String baseModel) throws IOException {
        List<TensorToWrite> tensors = new ArrayList<>();
        ObjectNode rankPattern = JsonFiles.mapper().createObjectNode();
        ObjectNode alphaPattern = JsonFiles.mapper().createObjectNode();
        for (Map.Entry<String, LoraWeights> e : adapter.modules().entrySet()) {
            LoraWeights w = e.getValue();
            String key = PREFIX + e.getKey();
            tensors.add(TensorToWrite.ofFloats(key + ".lora_A.weight", new long[] {w.r(), w.in()},
                    slice(w.a(), w.aOffset(), w.r() * w.in()), dtype));
            tensors.add(TensorToWrite.ofFloats(key + ".lora_B.weight", new long[] {w.out(), w.r()},
                    slice(w.b(), w.bOffset(), w.out() * w.r()), dtype));
            if (w.r() != adapter.rank()) rankPattern.put(e.getKey(), w.r());
            if (Math.abs(w.scale() - LoraAdapter.scale(w.r(), adapter.alpha(), adapter.rsLora())) > 1e-6f * Math.abs(w.scale())) {
                double a = adapter.rsLora() ? w.scale() * Math.sqrt(w.r()) : (double) w.scale() * w.r();
                alphaPattern.put(e.getKey(), a);
            }
        }
        for (Map.Entry<String, StoredTensor> e : adapter.savedTensors().entrySet()) {
            StoredTensor t = e.getValue();
            tensors.add(new TensorToWrite(PREFIX + e.getKey(), t.dtype(), t.shape(),
                    dev.slmops.model.format.TensorBytes.of(t)));
        }
        SafetensorsWriter.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));

        ObjectNode cfg = JsonFiles.mapper().createObjectNode();
        cfg.put("peft_type", "LORA");
        cfg.put("task_type", "CAUSAL_LM");
        if (baseModel != null) cfg.put("base_model_name_or_path", baseModel);
        else cfg.putNull("base_model_name_or_path");
        cfg.put("r", adapter.rank());
        cfg.put("lora_alpha", adapter.alpha());
        cfg.put("lora_dropout", 0.0);
        cfg.put("use_rslora", adapter.rsLora());
        cfg.put("use_dora", false);
        cfg.put("bias", "none");
        cfg.put("fan_in_fan_out", false);
        cfg.put("inference_mode", true);
        cfg.put("init_lora_weights", true);
        ArrayNode targets = cfg.putArray("target_modules");
        adapter.targetModules().forEach(targets::add);
        if (!adapter.modulesToSave().isEmpty()) {
            ArrayNode mts = cfg.putArray("modules_to_save");
            adapter.modulesToSave().forEach(mts::add);
        } else {
            cfg.putNull("modules_to_save");
        }
        cfg.set("rank_pattern", rankPattern);
        cfg.set("alpha_pattern", alphaPattern);
        byte[] json = JsonFiles.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(cfg)
                .getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve(CONFIG), json);
    }

    private static float[] slice(float[] buf, int off, int n) {
        float[] f = new float[n];
        System.arraycopy(buf, off, f, 0, n);
        return f;
    }

    /** A heap copy, so the adapter outlives the mapped file. */
    private static StoredTensor copy(StoredTensor t) {
        MemorySegment heap = MemorySegment.ofArray(new byte[Math.toIntExact(t.byteSize())]);
        MemorySegment.copy(t.data(), 0, heap, 0, t.byteSize());
        return new StoredTensor(t.name(), t.dtype(), t.shape(), heap);
    }

    private static Map<String, Double> doubles(JsonNode obj) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (obj.isObject()) obj.properties().forEach(e -> m.put(e.getKey(), e.getValue().asDouble()));
        return m;
    }
}
