package dev.slmops.model.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.format.gguf.GgufHyperParams;
import dev.slmops.model.format.gguf.GgufKeys;
import dev.slmops.model.format.gguf.GgufRopeTensors;
import dev.slmops.model.format.gguf.GgufTensorNames;
import dev.slmops.model.format.gguf.GgufTokenizerMetadata;
import dev.slmops.model.format.gguf.GgufWriter;
import dev.slmops.model.format.gguf.LlamaQkPermutation;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.tensor.quant.FloatConversions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes a model as a GGUF v3 file llama.cpp loads: its keys and tensor names, Llama q/k rows permuted,
 * Gemma norms stored as 1 + w, llama3 / LongRoPE scaling as llama.cpp's factor tensors, the tokenizer as
 * tokenizer.ggml.* and the chat template. Matrices are written in the asked float type; vectors (norms, biases,
 * rope factors) stay F32 as llama.cpp's converter keeps them.
 */
public final class GgufExport {
    private GgufExport() {
    }

    /** general.file_type of a converted file; convert writes float types only (quantizing is its own command). */
    private static int fileType(DType t) {
        if (!FloatConversions.isConvertible(t)) {
            throw new IllegalArgumentException("convert writes f32, f16 or bf16; for " + t + " use slmops quantize");
        }
        return GgufKeys.fileTypeOf(t);
    }

    /**
     * @param warnings receives one line per thing worth telling the user (skipped tensors ...)
     */
    public static void write(ModelFiles src, DType dtype, Path out, Consumer<String> warnings) throws IOException {
        ModelConfig c = src.config();
        GgufWriter w = new GgufWriter();
        if (src.gguf().isPresent()) {
            GgufFile g = src.gguf().get();
            w.putAll(g);
            w.putUint32(GgufKeys.FILE_TYPE, fileType(dtype));
            for (StoredTensor t : g.tensors()) w.addTensor(t.name(), targetType(t, dtype), t.shape(), convert(t, dtype));
            w.write(out);
            return;
        }
        JsonNode config = src.hf().orElseThrow().config().raw();
        w.putString(GgufKeys.ARCHITECTURE, c.arch().ggufName);
        w.putString(GgufKeys.NAME, src.path().toAbsolutePath().getFileName().toString());
        w.putUint32(GgufKeys.FILE_TYPE, fileType(dtype));
        GgufHyperParams.fromHfConfig(c.arch(), config).forEach((k, v) -> w.put(k, v.type(), v.value()));
        if (c.arch() == dev.slmops.model.arch.Arch.GEMMA3) putGemmaLayerPattern(w, c);
        GgufTokenizerMetadata.put(w, padVocabulary(src.tokenizer().toGgufMetadata(), c.vocabSize()));
        if (!src.chatTemplate().isFallback()) w.putString(GgufKeys.CHAT_TEMPLATE, src.chatTemplate().templateText(false));

        for (StoredTensor t : src.storedTensors()) {
            var resolved = GgufTensorNames.toGguf(c.arch(), t.name());
            if (resolved.isEmpty()) {
                warnings.accept("skipped tensor " + t.name() + ": not part of the " + c.arch().hfModelType + " graph");
                continue;
            }
            String name = resolved.get().name();
            DType target = targetType(t, dtype);
            TensorBytes bytes = switch (resolved.get().mapping().transform()) {
                case NONE -> convert(t, target);
                case PERMUTE_Q -> LlamaQkPermutation.hfToGguf(t, c.numHeads(), target);
                case PERMUTE_K -> LlamaQkPermutation.hfToGguf(t, c.numKvHeads(), target);
                case ADD_ONE -> {
                    float[] v = floats(t);
                    for (int i = 0; i < v.length; i++) v[i] += 1f;
                    yield TensorBytes.ofFloats(v, DType.F32);
                }
            };
            w.addTensor(name, target, t.shape(), bytes);
        }
        // llama3 / LongRoPE scaling as llama.cpp stores it: factor tensors generated from config.json
        GgufRopeTensors.fromHfConfig(c.arch(), config).forEach((name, f) ->
                w.addTensor(name, DType.F32, new long[]{f.length}, TensorBytes.ofFloats(f, DType.F32)));
        w.write(out);
    }

    /**
     * Gemma 3's sliding/global layer layout and local RoPE base. llama.cpp reads the layout as a period n (layer i
     * is global when i % n == n - 1) and defaults to 6; a layout that is not periodic cannot be stored.
     */
    private static void putGemmaLayerPattern(GgufWriter w, ModelConfig c) {
        String a = c.arch().ggufName + ".";
        w.putFloat32(a + "rope.freq_base_swa", (float) c.ropeLocalTheta());
        int period = 0;
        for (int i = 0; i < c.numLayers(); i++) {
            if (!c.isSliding(i)) {
                period = i + 1;
                break;
            }
        }
        if (period == 0) period = c.numLayers() + 1; // every layer sliding
        for (int i = 0; i < c.numLayers(); i++) {
            if (c.isSliding(i) != (i % period < period - 1)) {
                throw new IllegalArgumentException("Gemma 3 layer_types are not periodic (global every n-th layer): "
                        + "llama.cpp's GGUF keys cannot express them");
            }
        }
        w.putUint32(a + "attention.sliding_window_pattern", period);
    }

    /** Vectors stay F32 (as llama.cpp's converter keeps norms and biases); matrices take the asked type. */
    private static DType targetType(StoredTensor t, DType asked) {
        if (t.dtype().isQuantized()) return t.dtype();
        return t.rank() <= 1 ? DType.F32 : asked;
    }

    private static TensorBytes convert(StoredTensor t, DType target) {
        if (t.dtype() == target || t.dtype().isQuantized()) return TensorBytes.of(t);
        return TensorBytes.converting(t, target);
    }

    private static float[] floats(StoredTensor t) {
        int n = Math.toIntExact(t.elementCount());
        float[] v = new float[n];
        Dequantize.toFloat(t.dtype(), t.data(), 0, v, 0, n);
        return v;
    }

    /**
     * llama.cpp needs one vocabulary entry per embedding row; checkpoints often have more rows than tokens
     * (Qwen: 151,936 rows, 151,669 tokens). As llama.cpp's converter does, the rest become "[PAD{id}]" entries of
     * type UNUSED (score -1000 for SentencePiece vocabularies).
     */
    static Map<String, Object> padVocabulary(Map<String, Object> meta, int vocabSize) {
        if (!(meta.get(GgufKeys.TOKENS) instanceof List<?> tokens) || tokens.size() >= vocabSize) return meta;
        Map<String, Object> out = new java.util.LinkedHashMap<>(meta);
        List<Object> t = new java.util.ArrayList<>(tokens);
        for (int id = tokens.size(); id < vocabSize; id++) t.add("[PAD" + id + "]");
        out.put(GgufKeys.TOKENS, t);
        if (meta.get(GgufKeys.TOKEN_TYPE) instanceof List<?> types) {
            List<Object> ty = new java.util.ArrayList<>(types);
            while (ty.size() < vocabSize) ty.add(5L); // llama.cpp TokenType.UNUSED
            out.put(GgufKeys.TOKEN_TYPE, ty);
        }
        if (meta.get(GgufKeys.SCORES) instanceof List<?> scores) {
            List<Object> sc = new java.util.ArrayList<>(scores);
            while (sc.size() < vocabSize) sc.add(-1000f);
            out.put(GgufKeys.SCORES, sc);
        }
        return out;
    }

}
