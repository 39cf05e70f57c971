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
}
