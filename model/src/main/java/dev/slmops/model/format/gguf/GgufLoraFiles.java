package dev.slmops.model.format.gguf;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraWeights;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.tensor.quant.FloatConversions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GGUF LoRA adapter file that llama.cpp's {@code llama_adapter_lora_init} loads, as its
 * {@code convert_lora_to_gguf.py} writes it:
 * <ul>
 *   <li>metadata {@code general.architecture} (the base model's), {@code general.type = "adapter"},
 *       {@code adapter.type = "lora"}, {@code adapter.lora.alpha} (float32);</li>
 *   <li>per projection {@code <gguf weight name>.lora_a} [r, in] and {@code .lora_b} [out, r] (outermost first),
 *       e.g. {@code blk.3.attn_q.weight.lora_a}; llama.cpp applies {@code scale · alpha / r · B(A x)}, r read from
 *       lora_a per tensor;</li>
 *   <li>Llama-family attn_q/attn_k: the converter permutes the output rows (llama.cpp's rotary layout), which for
 *       LoRA means the rows of B; A is unchanged.</li>
 * </ul>
 * GGUF carries one alpha: modules whose scale differs from alpha / r_i (rsLoRA, alpha_pattern) get the ratio
 * folded into B, which gives the same product.
 */
public final class GgufLoraFiles {
    private GgufLoraFiles() {
    }

    public static final String TYPE = "general.type";
    public static final String ADAPTER_TYPE = "adapter.type";
    public static final String ALPHA = "adapter.lora.alpha";

    /** Writes {@code adapter} for a base model of config {@code c}, A/B as F32, F16 or BF16; atomic. */
    public static void write(LoraAdapter adapter, ModelConfig c, Path out, DType dtype) throws IOException {
        if (!FloatConversions.isConvertible(dtype)) {
            throw new IllegalArgumentException("GGUF LoRA adapters are written as F32, F16 or BF16, not " + dtype);
        }
        if (!adapter.savedTensors().isEmpty()) {
            throw new IllegalArgumentException("adapter " + adapter.name() + " replaces whole tensors (modules_to_save: "
                    + String.join(", ", adapter.savedTensors().keySet()) + "), which a GGUF LoRA file cannot carry: "
                    + "merge the adapter into the model instead (slmops merge)");
        }
        adapter.checkFits(c);
        Map.Entry<String, LoraWeights> first = adapter.modules().entrySet().iterator().next();
        float alpha = first.getValue().scale() * first.getValue().r();
        GgufWriter w = new GgufWriter();
        w.putString(GgufKeys.ARCHITECTURE, c.arch().ggufName);
        w.putString(TYPE, "adapter");
        w.putString(ADAPTER_TYPE, "lora");
        w.putFloat32(ALPHA, alpha);
        w.putString(GgufKeys.NAME, adapter.name());
        for (Map.Entry<String, LoraWeights> e : adapter.modules().entrySet()) {
            LoraWeights lw = e.getValue();
            GgufTensorNames.Resolved res = GgufTensorNames.toGguf(c.arch(), e.getKey() + ".weight").orElseThrow(() ->
                    new IllegalArgumentException("no GGUF tensor for " + e.getKey() + " in " + c.arch().ggufName));
            float[] a = new float[lw.r() * lw.in()];
            System.arraycopy(lw.a(), lw.aOffset(), a, 0, a.length);
            float fold = lw.scale() * lw.r() / alpha; // 1 unless this module's scale differs from alpha / r
            float[] b = new float[lw.out() * lw.r()];
            int nHead = switch (res.mapping().transform()) {
                case PERMUTE_Q -> c.numHeads();
                case PERMUTE_K -> c.numKvHeads();
                default -> 0;
            };
            for (int o = 0; o < lw.out(); o++) {
                int dst = nHead == 0 ? o : (int) LlamaQkPermutation.ggufRowOf(o, lw.out(), nHead);
                for (int j = 0; j < lw.r(); j++) b[dst * lw.r() + j] = fold * lw.b()[lw.bOffset() + o * lw.r() + j];
            }
            w.addTensor(res.name() + ".lora_a", dtype, new long[] {lw.r(), lw.in()}, TensorBytes.ofFloats(a, dtype));
            w.addTensor(res.name() + ".lora_b", dtype, new long[] {lw.out(), lw.r()}, TensorBytes.ofFloats(b, dtype));
        }
        w.write(out);
    }

    /** Whether a GGUF file is a LoRA adapter (not a model). */
    public static boolean isLoraAdapter(GgufFile g) {
        return "adapter".equals(g.metadata().get(TYPE)) && "lora".equals(g.metadata().get(ADAPTER_TYPE));
    }

    /** Reads a GGUF LoRA adapter for a base model of config {@code c} (needed to undo the q/k permutation). */
    public static LoraAdapter read(Path file, ModelConfig c) throws IOException {
        try (GgufFile g = GgufFile.open(file)) {
            if (!isLoraAdapter(g)) {
                throw new ModelFileException(file, "is not a GGUF LoRA adapter (general.type \"" + g.metadata().get(TYPE)
                        + "\", adapter.type \"" + g.metadata().get(ADAPTER_TYPE) + "\"; expected \"adapter\" and \"lora\")");
            }
            String arch = g.architecture();
            if (!c.arch().ggufName.equals(arch)) {
                throw new ModelFileException(file, "is an adapter for a " + arch + " model, not for this "
                        + c.arch().ggufName + " model");
            }
            if (!(g.metadata().get(ALPHA) instanceof Number alphaN)) {
                throw new ModelFileException(file, "has no " + ALPHA + " (float32)");
            }
            float alpha = alphaN.floatValue();
            Map<String, StoredTensor[]> pairs = new LinkedHashMap<>();
            for (StoredTensor t : g.tensors()) {
                String n = t.name();
                boolean isA = n.endsWith(".lora_a"), isB = n.endsWith(".lora_b");
                if (!isA && !isB) throw new ModelFileException(file, "tensor \"" + n + "\" is neither .lora_a nor .lora_b");
                if (t.rank() != 2 || !FloatConversions.isConvertible(t.dtype())) {
                    throw new ModelFileException(file, "tensor \"" + n + "\" must be an F32/F16/BF16 matrix, got "
                            + t.dtype() + java.util.Arrays.toString(t.shape()));
                }
                pairs.computeIfAbsent(n.substring(0, n.length() - 7), k -> new StoredTensor[2])[isA ? 0 : 1] = t;
            }
            long total = 0;
            for (var e : pairs.entrySet()) {
                if (e.getValue()[0] == null || e.getValue()[1] == null) {
                    throw new ModelFileException(file, e.getKey() + " has only one of lora_a / lora_b");
                }
                total += e.getValue()[0].elementCount() + e.getValue()[1].elementCount();
            }
            float[] buf = new float[Math.toIntExact(total)];
            Map<String, LoraWeights> modules = new LinkedHashMap<>();
            int off = 0, rank = 0;
            for (var e : pairs.entrySet()) {
                StoredTensor a = e.getValue()[0], b = e.getValue()[1];
                var res = GgufTensorNames.toHf(c.arch(), e.getKey()).orElseThrow(() ->
                        new ModelFileException(file, "tensor " + e.getKey() + " is not a " + c.arch().ggufName + " weight"));
                int r = Math.toIntExact(a.dim(0)), in = Math.toIntExact(a.dim(1)), out = Math.toIntExact(b.dim(0));
                if (b.dim(1) != r) throw new ModelFileException(file, e.getKey() + ": lora_a and lora_b ranks differ");
                if (rank == 0) rank = r;
                int aOff = off, bOff = off + r * in;
                Dequantize.toFloat(a.dtype(), a.data(), 0, buf, aOff, r * in);
                float[] bg = Dequantize.toFloat(b.dtype(), b.data(), out * r);
                int nHead = switch (res.mapping().transform()) {
                    case PERMUTE_Q -> c.numHeads();
                    case PERMUTE_K -> c.numKvHeads();
                    default -> 0;
                };
                for (int o = 0; o < out; o++) {
                    int src = nHead == 0 ? o : (int) LlamaQkPermutation.ggufRowOf(o, out, nHead);
                    System.arraycopy(bg, src * r, buf, bOff + o * r, r);
                }
                off = bOff + out * r;
                String module = res.name().substring(0, res.name().length() - ".weight".length());
                modules.put(module, new LoraWeights(r, in, out, LoraAdapter.scale(r, alpha, false), buf, aOff, buf, bOff));
            }
            if (modules.isEmpty()) throw new ModelFileException(file, "has no LoRA tensors");
            String name = g.metadata().get(GgufKeys.NAME) instanceof String s ? s : file.getFileName().toString();
            List<String> targets = modules.keySet().stream().map(m -> m.substring(m.lastIndexOf('.') + 1)).distinct().toList();
            return new LoraAdapter(name, rank, alpha, false, targets, modules, Map.of());
        }
    }
}
