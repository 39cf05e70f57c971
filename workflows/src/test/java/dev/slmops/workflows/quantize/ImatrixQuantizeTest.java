package dev.slmops.workflows.quantize;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.tokenizer.train.BuiltinCorpus;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.testkit.ggml.GgmlQuants;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The importance matrix: computed from text with our engine, written and read in llama.cpp's two formats, and
 * used by the quantizer exactly as llama.cpp uses it (each tensor's bytes equal ggml_quantize_chunk's with the same
 * importance weights). Also prints how much it lowers the KL divergence from the F32 model (a measurement on a
 * random-weight model, reported, not asserted).
 */
class ImatrixQuantizeTest {
    @TempDir
    static Path tmp;
    static Path f32;
    static Path calibration;
    static Path evaluation;
    static final int CTX = 64;

    @BeforeAll
    static void setUp() throws IOException {
        f32 = TinyModels.llamaF32(tmp, "im", 256, 256, 4, 4, 1, false);
        List<String> docs = BuiltinCorpus.documents(7, 60_000);
        calibration = Files.writeString(tmp.resolve("calibration.txt"), String.join("\n\n", docs.subList(0, docs.size() / 2)));
        evaluation = Files.writeString(tmp.resolve("evaluation.txt"), String.join("\n\n", docs.subList(docs.size() / 2, docs.size())));
    }

    static Imatrix compute(int chunks) throws IOException {
        return compute(calibration, chunks);
    }

    static Imatrix compute(Path text, int chunks) throws IOException {
        try (LoadedModel m = LoadedModel.load(f32, new LoadedModel.Options(CTX, 2))) {
            return ImatrixCollector.compute(m, text, CTX, chunks, null);
        }
    }

    /**
     * Σ over quantized matrices, rows and columns of evalImportance[j]·(w − q)²: the squared matmul output error
     * on the evaluation text's activations (diagonal approximation), the quantity the imatrix search minimizes.
     */
    static double weightedError(Path quantized, Imatrix eval) throws IOException {
        double sum = 0;
        try (GgufFile q = GgufFile.open(quantized); GgufFile src = GgufFile.open(f32)) {
            for (StoredTensor qt : q.tensors()) {
                float[] imp = eval.importance(qt.name());
                if (!qt.dtype().isQuantized() || imp == null) continue;
                int n = Math.toIntExact(qt.elementCount()), cols = imp.length;
                float[] w = new float[n], d = new float[n];
                Dequantize.toFloat(src.tensor(qt.name()).dtype(), src.tensor(qt.name()).data(), 0, w, 0, n);
                Dequantize.toFloat(qt.dtype(), qt.data(), 0, d, 0, n);
                for (int i = 0; i < n; i++) sum += imp[i % cols] * (double) (w[i] - d[i]) * (w[i] - d[i]);
            }
        }
        return sum;
    }

    @Test
    void imatrixCountsEveryTokenAndRoundTripsThroughBothLlamaCppFormats() throws IOException {
        Imatrix im = compute(4);
        assertThat(im.entries()).containsKeys("blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
                "blk.0.attn_output.weight", "blk.3.ffn_gate.weight", "blk.3.ffn_up.weight", "blk.3.ffn_down.weight");
        assertThat(im.entries()).doesNotContainKey("output.weight");
        assertThat(im.entries().get("blk.2.ffn_down.weight").counts()).containsExactly(4L * CTX);
        float[] w = im.importance("blk.1.attn_output.weight");
        assertThat(w).hasSize(256);
        for (float v : w) assertThat(v).isFinite().isGreaterThanOrEqualTo(0f);
        for (String name : List.of("im.gguf", "im.dat")) {
            Path p = tmp.resolve(name);
            im.write(p);
            Imatrix back = Imatrix.read(p);
            assertThat(back.entries().keySet()).containsExactlyInAnyOrderElementsOf(im.entries().keySet());
            for (String k : im.entries().keySet()) {
                assertThat(back.importance(k)).as("%s from %s", k, name).containsExactly(im.importance(k));
            }
            assertThat(back.chunkCount()).isEqualTo(4);
            assertThat(back.datasets()).containsExactly("calibration.txt");
        }
    }

    @Test
    void quantizingWithAnImatrixIsGgmlsWeightedSearchTensorByTensor() throws IOException {
        Imatrix im = compute(2);
        Path imFile = tmp.resolve("weights.gguf");
        im.write(imFile);
        for (QuantType t : List.of(QuantType.Q4_K_M, QuantType.Q2_K, QuantType.Q4_0)) {
            Path out = tmp.resolve("with-imatrix-" + t.cliName() + ".gguf");
            Quantizer.quantize(new Quantizer.Options(f32, t, out, false, imFile, true, 2), Quantizer.Listener.SILENT);
            List<String> checked = new ArrayList<>();
            try (GgufFile q = GgufFile.open(out); GgufFile src = GgufFile.open(f32)) {
                assertThat(q.metadata()).containsEntry("quantize.imatrix.entries_count", (long) im.entries().size())
                        .containsEntry("quantize.imatrix.chunks_count", 2L).containsEntry("quantize.imatrix.file", imFile.toString());
                for (StoredTensor qt : q.tensors()) {
                    if (!qt.dtype().isQuantized()) continue;
                    StoredTensor st = src.tensor(qt.name());
                    int cols = Math.toIntExact(st.shape()[1]);
                    int rows = Math.toIntExact(st.shape()[0]);
                    float[] x = new float[rows * cols];
                    Dequantize.toFloat(st.dtype(), st.data(), 0, x, 0, x.length);
                    float[] importance = im.importance(qt.name());
                    byte[] expected = GgmlQuants.quantize(qt.dtype().ggmlType, x, rows, cols, importance);
                    assertThat(qt.data().toArray(ValueLayout.JAVA_BYTE)).as("%s %s (%s)", t, qt.name(), qt.dtype()).isEqualTo(expected);
                    checked.add(qt.name());
                }
            }
            assertThat(checked).hasSizeGreaterThan(20);
        }
    }

    /** Mean KL(base || quantized) of the next-token distributions over chunks of the evaluation text. */
    static double meanKld(Path base, Path quantized) throws IOException {
        try (LoadedModel b = LoadedModel.load(base, new LoadedModel.Options(CTX, 2));
             LoadedModel q = LoadedModel.load(quantized, new LoadedModel.Options(CTX, 2))) {
            int[] tokens = b.tokenizer().encode(Files.readString(evaluation), true);
            int v = b.config().vocabSize();
            double sum = 0;
            long n = 0;
            for (int c = 0; c + CTX <= tokens.length && c < 8 * CTX; c += CTX) {
                int[] chunk = Arrays.copyOfRange(tokens, c, c + CTX);
                float[] lb = b.transformer().forward(b.newCache(), chunk, true);
                float[] lq = q.transformer().forward(q.newCache(), chunk, true);
                for (int t = 0; t < CTX; t++) {
                    sum += kld(lb, lq, t * v, v);
                    n++;
                }
            }
            return sum / n;
        }
    }

    static double kld(float[] p, float[] q, int o, int v) {
        double mp = Double.NEGATIVE_INFINITY, mq = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) {
            mp = Math.max(mp, p[o + i]);
            mq = Math.max(mq, q[o + i]);
        }
        double zp = 0, zq = 0;
        for (int i = 0; i < v; i++) {
            zp += Math.exp(p[o + i] - mp);
            zq += Math.exp(q[o + i] - mq);
        }
        double lzp = Math.log(zp) + mp, lzq = Math.log(zq) + mq, k = 0;
        for (int i = 0; i < v; i++) {
            double lp = p[o + i] - lzp, lq = q[o + i] - lzq;
            k += Math.exp(lp) * (lp - lq);
        }
        return k;
    }

    @Tag("slow") // a measurement for the report: 8 quantizations and 64 forward chunks
    @Test
    void reportsHowMuchTheImatrixLowersKld() throws IOException {
        Imatrix im = compute(8);
        Imatrix eval = compute(evaluation, 8);
        Path imFile = tmp.resolve("kld.gguf");
        im.write(imFile);
        for (QuantType t : List.of(QuantType.Q2_K, QuantType.Q3_K_S, QuantType.Q4_0, QuantType.Q4_K_S)) {
            Path plain = tmp.resolve("kld-" + t.cliName() + ".gguf");
            Path weighted = tmp.resolve("kld-" + t.cliName() + "-imatrix.gguf");
            Quantizer.quantize(new Quantizer.Options(f32, t, plain, false, null, true, 2), Quantizer.Listener.SILENT);
            Quantizer.quantize(new Quantizer.Options(f32, t, weighted, false, imFile, true, 2), Quantizer.Listener.SILENT);
            double a = meanKld(f32, plain), b = meanKld(f32, weighted);
            double ea = weightedError(plain, eval), eb = weightedError(weighted, eval);
            System.out.printf(Locale.ROOT, "%s: KLD vs F32 without imatrix %.6f, with %.6f (%.1f%% lower); matmul output"
                    + " error on held-out activations without %.4g, with %.4g (%.1f%% lower)%n",
                    t.cliName(), a, b, 100 * (1 - b / a), ea, eb, 100 * (1 - eb / ea));
            assertThat(a).isFinite().isPositive();
            assertThat(b).isFinite().isPositive();
        }
    }
}
