package dev.slmops.model.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.arch.HfConfigWriter;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.arch.ModelTensors;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.model.format.hf.HfModelWriter;
import dev.slmops.model.format.safetensors.TensorToWrite;
import dev.slmops.model.format.gguf.GgufKeys;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.model.tokenizer.HfTokenizerJsonWriter;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Writes a model as a Hugging Face directory (config.json, safetensors in F32/F16/BF16, tokenizer files) that
 * transformers loads. From a GGUF file the weights come back in Hugging Face layout (q/k rows un-permuted, Gemma
 * norms as w) and config.json is rebuilt from the GGUF keys.
 */
public final class HfExport {
    private HfExport() {
    }

    public static Path write(ModelFiles src, DType dtype, Path out, boolean replace, Consumer<String> warnings)
            throws IOException {
        return write(src, java.util.Map.of(), dtype, out, replace, warnings);
    }

    /**
     * As {@link #write(ModelFiles, DType, Path, boolean, Consumer)} with some tensors' values replaced (HF name ->
     * row-major F32 values of the tensor's HF shape): how full fine-tuning saves its trained weights next to the
     * source model's config and tokenizer.
     */
    public static Path write(ModelFiles src, java.util.Map<String, float[]> replaced, DType dtype, Path out,
                             boolean replace, Consumer<String> warnings) throws IOException {
        if (!dtype.isFloat() || dtype == DType.F64) {
            throw new IllegalArgumentException("safetensors output is f32, f16 or bf16, not " + dtype);
        }
        ModelConfig c = src.config();
        String torchDtype = switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            default -> "bfloat16";
        };
        HfModelWriter w = new HfModelWriter(out).replaceExisting(replace);
        List<TensorToWrite> tensors = new ArrayList<>();
        Optional<HfModelDir> hf = src.hf();
        if (hf.isPresent()) {
            ObjectNode config = hf.get().config().raw().deepCopy();
            config.put("torch_dtype", torchDtype);
            w.config(config).copyTokenizerFiles(hf.get().dir());
            hf.get().generationConfigJson().ifPresent(w::copyFile);
            for (StoredTensor t : src.storedTensors()) {
                float[] v = replaced.get(t.name());
                tensors.add(v != null ? TensorToWrite.ofFloats(t.name(), t.shape(), v, dtype) : convert(t, t.name(), dtype, warnings));
            }
        } else {
            w.config(HfConfigWriter.toJson(c, torchDtype));
            var meta = src.gguf().orElseThrow().metadata();
            ObjectNode tc = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            if (!src.chatTemplate().isFallback()) tc.put("chat_template", src.chatTemplate().templateText(false));
            var tok = src.tokenizer();
            tok.specials().bos().ifPresent(id -> tc.put("bos_token", tok.token(id)));
            if (tok.specials().eosIds().length > 0) tc.put("eos_token", tok.token(tok.specials().eosIds()[0]));
            if (meta.get(GgufKeys.ADD_BOS) instanceof Boolean b) tc.put("add_bos_token", b);
            // the fields above win; the writer adds the class, unk/pad and add_eos_token
            HfTokenizerJsonWriter.configFields(tok).properties().forEach(e -> {
                if (!tc.has(e.getKey())) tc.set(e.getKey(), e.getValue());
            });
            w.jsonFile("tokenizer_config.json", tc);
            w.jsonFile("tokenizer.json", HfTokenizerJsonWriter.of(tok));
            // Every weight the architecture reads, by HF name, from the GGUF file (transforms undone).
            for (String name : ModelTensors.of(c).stream().map(ModelTensors.Spec::name).toList()) {
                Optional<StoredTensor> t = src.weights().find(name);
                if (t.isEmpty()) {
                    if (name.equals("lm_head.weight") && c.tieEmbeddings()) continue;
                    throw new IllegalArgumentException(src.path() + " has no tensor for " + name);
                }
                float[] v = replaced.get(name);
                tensors.add(v != null ? TensorToWrite.ofFloats(name, t.get().shape(), v, dtype) : convert(t.get(), name, dtype, warnings));
            }
        }
        return w.tensors(tensors).write();
    }

    private static TensorToWrite convert(StoredTensor t, String name, DType dtype, Consumer<String> warnings) {
        StoredTensor named = new StoredTensor(name, t.dtype(), t.shape(), t.data());
        if (t.dtype().isQuantized()) {
            warnings.accept(name + " is " + t.dtype() + ": dequantized to " + dtype + " (the quantization error stays)");
            return TensorToWrite.ofFloats(name, t.shape(), dequantize(t), dtype);
        }
        return TensorToWrite.converted(named, dtype);
    }

    private static float[] dequantize(StoredTensor t) {
        int n = Math.toIntExact(t.elementCount());
        float[] f = new float[n];
        dev.slmops.tensor.quant.Dequantize.toFloat(t.dtype(), t.data(), 0, f, 0, n);
        return f;
    }
}
