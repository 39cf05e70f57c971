package dev.slmops.workflows.eval;

import dev.slmops.model.convert.GgufExport;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.llama.LlamaCpp;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A random tiny-llama (seed 7, init range 0.1) written by slmops as F32 GGUF, and llama.cpp's own Q8_0 and Q4_0
 * quantizations of it: the base and the variants the evaluation tests measure.
 */
record TinyQuantizedLlama(Path f32, Path q8, Path q4) {

    static TinyQuantizedLlama write(Path dir) throws IOException {
        Path hf = TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig("tiny-llama"), DType.F32, 7, 0.1),
                null, dir.resolve("hf"), false);
        TinyQuantizedLlama m = new TinyQuantizedLlama(dir.resolve("f32.gguf"), dir.resolve("q8_0.gguf"), dir.resolve("q4_0.gguf"));
        try (ModelFiles files = ModelFiles.open(hf)) {
            GgufExport.write(files, DType.F32, m.f32, w -> { });
        }
        LlamaCpp.quantize(m.f32, m.q8, LlamaCpp.FTYPE_MOSTLY_Q8_0, 2);
        LlamaCpp.quantize(m.f32, m.q4, LlamaCpp.FTYPE_MOSTLY_Q4_0, 2);
        return m;
    }

    /**
     * The same tiny-llama 256 wide (FFN 512, seed 7, init range 0.05) as F32 GGUF {@code dir/wide-f32.gguf}: rows of
     * whole 256-blocks, so llama.cpp's K-quant file types keep their K-quants instead of falling back to 32-blocks.
     */
    static Path writeWideF32(Path dir) throws IOException {
        var c = ModelInit.shapeConfig("tiny-llama");
        c.put("hidden_size", 256).put("intermediate_size", 512).put("initializer_range", 0.05);
        Path hf = TokenizerForInit.writeModel(new ModelInit.Options(c, DType.F32, 7, 0.05), null, dir.resolve("wide-hf"), false);
        Path f32 = dir.resolve("wide-f32.gguf");
        try (ModelFiles files = ModelFiles.open(hf)) {
            GgufExport.write(files, DType.F32, f32, w -> { });
        }
        return f32;
    }

    /** llama.cpp's quantization of {@code f32} to file type {@code ftype} ({@code LlamaCpp.FTYPE_*}) as {@code dir/name}. */
    static Path quantizeWithLlamaCpp(Path f32, int ftype, Path dir, String name) {
        Path out = dir.resolve(name);
        LlamaCpp.quantize(f32, out, ftype, 2);
        return out;
    }
}
