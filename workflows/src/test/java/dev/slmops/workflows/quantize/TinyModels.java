package dev.slmops.workflows.quantize;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.convert.GgufExport;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;

/** Small random Llama-shaped models written as F32 GGUF files with the project's own writers. */
public final class TinyModels {
    private TinyModels() {
    }

    /** initializer_range 0.02 (a real model's init: residual-dominated, not chaotic), norms at identity. */
    public static Path llamaF32(Path dir, String name, int hidden, int ffn, int layers, int heads, int kvHeads, boolean tied)
            throws IOException {
        ObjectNode c = ModelInit.shapeConfig("tiny-llama");
        c.put("hidden_size", hidden).put("intermediate_size", ffn).put("num_hidden_layers", layers)
                .put("num_attention_heads", heads).put("num_key_value_heads", kvHeads).put("tie_word_embeddings", tied)
                .put("initializer_range", 0.02);
        Path hf = TokenizerForInit.writeModel(new ModelInit.Options(c, DType.F32, 5, 0), null, dir.resolve(name + "-hf"), false);
        Path gguf = dir.resolve(name + "-f32.gguf");
        try (ModelFiles files = ModelFiles.open(hf)) {
            GgufExport.write(files, DType.F32, gguf, w -> { });
        }
        return gguf;
    }
}
