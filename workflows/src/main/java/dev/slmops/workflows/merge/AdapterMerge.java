package dev.slmops.workflows.merge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.convert.GgufExport;
import dev.slmops.model.convert.HfExport;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.model.format.hf.HfModelWriter;
import dev.slmops.model.format.safetensors.TensorToWrite;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraFiles;
import dev.slmops.model.lora.LoraMerge;
import dev.slmops.model.lora.LoraWeights;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import static dev.slmops.model.format.SafeFiles.deleteTree;

/**
 * {@code slmops merge}: a model with a LoRA adapter folded into its weights ({@code W' = W + scale · B·A}; the
 * modules_to_save tensors replace the base's), written as a Hugging Face directory or a GGUF file in F32/F16/BF16.
 *
 * <p>Streamed: each merged matrix is computed one row at a time as the writer reaches it. Atomic: the output appears
 * complete or not at all. A GGUF base goes through a temporary HF copy (its q/k rows un-permuted), and GGUF output is
 * converted from a temporary merged HF directory, both next to the output and deleted afterwards.
 */
public final class AdapterMerge {
    private AdapterMerge() {
    }

    public enum Format { HF, GGUF }

    /** The output format a path implies: a name ending in .gguf is GGUF, anything else an HF directory. */
    public static Format formatOf(Path output) {
        return output.getFileName().toString().endsWith(".gguf") ? Format.GGUF : Format.HF;
    }

    /** Loads the adapter (PEFT directory or GGUF LoRA) and merges it into the model. */
    public static Path merge(Path model, Path adapter, Path output, DType dtype, Format format, boolean replace,
                             Consumer<String> warnings) throws IOException {
        try (ModelFiles src = ModelFiles.open(model)) {
            return merge(src, LoraFiles.load(adapter, src.config()), output, dtype, format, replace, warnings);
        }
    }

    public static Path merge(ModelFiles src, LoraAdapter adapter, Path output, DType dtype, Format format,
                             boolean replace, Consumer<String> warnings) throws IOException {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("merge writes f32, f16 or bf16 weights, not " + dtype
                    + " (quantize the merged model afterwards)");
        }
        if (Files.exists(output) && !replace) {
            throw new ModelFileException(output, "already exists; choose another output or allow replacing it");
        }
        adapter.checkFits(src.config());
        Path parent = output.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        List<Path> temps = new ArrayList<>();
        try {
            Path hfBase = src.path();
            if (src.hf().isEmpty()) { // GGUF base: an F32 HF copy first (dequantized if quantized: warned)
                hfBase = temp(parent, output, "base", temps);
                HfExport.write(src, DType.F32, hfBase, false, warnings);
            }
            if (format == Format.HF) return mergeHf(hfBase, adapter, output, dtype, replace);
            Path merged = mergeHf(hfBase, adapter, temp(parent, output, "merged", temps), DType.F32, false);
            try (ModelFiles m = ModelFiles.open(merged)) {
                GgufExport.write(m, dtype, output, warnings);
            }
            return output;
        } finally {
            for (Path t : temps) deleteTree(t);
        }
    }

    /** The merged HF directory: every tensor of the base, merged or replaced where the adapter says. */
    static Path mergeHf(Path hfDir, LoraAdapter adapter, Path output, DType dtype, boolean replace) throws IOException {
        try (HfModelDir dir = HfModelDir.open(hfDir)) {
            ObjectNode config = dir.config().raw().deepCopy();
            config.put("torch_dtype", switch (dtype) {
                case F32 -> "float32";
                case F16 -> "float16";
                default -> "bfloat16";
            });
            Set<String> used = new HashSet<>();
            List<TensorToWrite> tensors = new ArrayList<>();
            for (String name : dir.tensorNames()) tensors.add(tensor(dir.tensor(name), name, adapter, dtype, used));
            // A tied output head becomes its own tensor when the adapter changes the head (LoRA on lm_head, or a
            // trained copy of it) or changes the embedding only (modules_to_save embed_tokens: as in PEFT, the head
            // then stays the original table, which must not follow the new embedding).
            if (!dir.tensorNames().contains("lm_head.weight")
                    && (adapter.module("lm_head") != null || adapter.savedTensors().containsKey("lm_head.weight")
                    || adapter.savedTensors().containsKey("model.embed_tokens.weight"))) {
                StoredTensor embed = dir.tensor("model.embed_tokens.weight");
                StoredTensor head = new StoredTensor("lm_head.weight", embed.dtype(), embed.shape(), embed.data());
                tensors.add(tensor(head, "lm_head.weight", adapter, dtype, used));
                untie(config);
            }
            for (String m : adapter.modules().keySet()) {
                if (!used.contains(m + ".weight")) throw new IllegalArgumentException("the model has no tensor "
                        + m + ".weight for the adapter's module " + m);
            }
            for (String t : adapter.savedTensors().keySet()) {
                if (!used.contains(t)) throw new IllegalArgumentException("the model has no tensor " + t
                        + " for the adapter's modules_to_save entry");
            }
            HfModelWriter w = new HfModelWriter(output).replaceExisting(replace).config(config)
                    .copyTokenizerFiles(hfDir).tensors(tensors);
            dir.generationConfigJson().ifPresent(w::copyFile);
            return w.write();
        }
    }

    private static TensorToWrite tensor(StoredTensor t, String name, LoraAdapter adapter, DType dtype, Set<String> used) {
        StoredTensor saved = adapter.savedTensors().get(name);
        if (saved != null) {
            if (!Arrays.equals(saved.shape(), t.shape())) {
                throw new IllegalArgumentException("the adapter's " + name + " is " + Arrays.toString(saved.shape())
                        + ", the model's " + Arrays.toString(t.shape()) + " (is the adapter for another model?)");
            }
            used.add(name);
            return TensorToWrite.converted(new StoredTensor(name, saved.dtype(), saved.shape(), saved.data()), dtype);
        }
        LoraWeights w = name.endsWith(".weight") ? adapter.module(name.substring(0, name.length() - 7)) : null;
        if (w != null) {
            used.add(name);
            return LoraMerge.merged(new StoredTensor(name, t.dtype(), t.shape(), t.data()), w, dtype);
        }
        StoredTensor named = new StoredTensor(name, t.dtype(), t.shape(), t.data());
        return t.dtype() == dtype ? TensorToWrite.of(named) : TensorToWrite.converted(named, dtype);
    }

    private static void untie(ObjectNode config) {
        config.put("tie_word_embeddings", false);
        if (config.get("text_config") instanceof ObjectNode tc) tc.put("tie_word_embeddings", false);
    }

    private static Path temp(Path parent, Path output, String what, List<Path> temps) {
        Path p = parent.resolve("." + output.getFileName() + "." + what + "-" + Long.toHexString(System.nanoTime()));
        temps.add(p);
        return p;
    }
}
