package dev.slmops.workflows.quantize;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.train.Example;
import dev.slmops.train.LoraConfig;
import dev.slmops.train.LoraFineTuning;
import dev.slmops.train.Loss;
import dev.slmops.train.Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * QLoRA straight from a Q4_K_M GGUF file (what a user downloads), written by our quantizer with llama.cpp's type
 * rules (Q4_K and Q6_K tensors; q/k rows in llama.cpp's permuted order): the frozen base as stored gives the loss
 * and gradients of an F32 base holding the file's dequantized values, and those values are the original model's
 * within quantization error (a q/k row-order mistake would be O(1)).
 */
class QloraOverQ4KMGgufTest {
    @Test
    void qloraOverAQ4KMGgufEqualsTheDequantizedBase(@TempDir Path tmp) throws Exception {
        Path f32 = TinyModels.llamaF32(tmp, "k", 256, 256, 2, 4, 2, false); // an F32 GGUF (and its HF directory)
        Path hf = tmp.resolve("k-hf");
        Path gguf = tmp.resolve("q4_k_m.gguf");
        Quantizer.quantize(new Quantizer.Options(f32, QuantType.Q4_K_M, gguf, false, null, false, 2), Quantizer.Listener.SILENT);

        LoraConfig lora = new LoraConfig(4, 8, 0f, List.of("all-linear"), false, 5, List.of("lm_head"));
        List<Example> batch = List.of(new Example(new int[] {5, 17, 33, 2, 90, 41, 8, 8, 61, 12, 77, 3},
                new boolean[] {false, true, true, true, true, true, true, true, true, true, true, true}));
        try (ModelFiles q = ModelFiles.open(gguf); ModelFiles f = ModelFiles.open(hf); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = q.config();
            Set<DType> types = new java.util.TreeSet<>();
            for (var spec : dev.slmops.model.arch.ModelTensors.of(c)) types.add(q.weights().require(spec.name()).dtype());
            for (String n : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                    "model.layers.1.self_attn.v_proj.weight", "model.layers.1.mlp.down_proj.weight", "lm_head.weight")) {
                // the file's values are the original's within quantization error, row for row
                StoredTensor a = q.weights().require(n), b = f.weights().require(n);
                float[] fa = Dequantize.toFloat(a.dtype(), a.data(), Math.toIntExact(a.elementCount()));
                float[] fb = Dequantize.toFloat(b.dtype(), b.data(), Math.toIntExact(b.elementCount()));
                double err = 0, ref = 0;
                for (int i = 0; i < fa.length; i++) {
                    err += (fa[i] - fb[i]) * (fa[i] - fb[i]);
                    ref += fb[i] * fb[i];
                }
                assertThat(Math.sqrt(err / ref)).as("%s (%s) relative RMS error", n, a.dtype()).isLessThan(0.1);
            }
            assertThat(types).contains(DType.Q4_K, DType.Q6_K);

            LoraFineTuning stored = LoraFineTuning.create(c, q.weights(), lora, 64, pool);
            LoraFineTuning dequantized = LoraFineTuning.create(c, new Dequantized(q.weights()), lora, 64, pool);
            Parameters ps = stored.parameters(), pd = dequantized.parameters();
            java.util.Random rnd = new java.util.Random(3);
            for (Parameters.Entry e : ps.entries()) { // a non-zero B, the same on both
                if (!e.name().contains("lora_B")) continue;
                for (int i = e.offset(); i < e.offset() + e.length(); i++) ps.values()[i] = pd.values()[i] = (float) (rnd.nextGaussian() * 0.05);
            }
            Loss ls = stored.forwardBackward(batch), ld = dequantized.forwardBackward(batch);
            assertThat(ls.sum()).isCloseTo(ld.sum(), within(1e-5 * Math.abs(ld.sum())));
            double maxDiff = 0, maxRef = 0;
            for (int i = 0; i < pd.size(); i++) {
                maxDiff = Math.max(maxDiff, Math.abs(ps.grads()[i] - pd.grads()[i]));
                maxRef = Math.max(maxRef, Math.abs(pd.grads()[i]));
            }
            System.out.printf("QLoRA over a Q4_K_M GGUF (%s): loss %.6f vs dequantized F32 %.6f, max gradient difference %.3g of %.3g%n",
                    types, ls.sum(), ld.sum(), maxDiff, maxRef);
            assertThat(maxDiff / maxRef).isLessThan(1e-5);
        }
    }

    /** Every quantized tensor of {@code src} as F32 holding its dequantized values. */
    record Dequantized(WeightSource src) implements WeightSource {
        @Override
        public Optional<StoredTensor> find(String name) {
            return src.find(name).map(t -> {
                if (!t.dtype().isQuantized()) return t;
                float[] v = Dequantize.toFloat(t.dtype(), t.data(), Math.toIntExact(t.elementCount()));
                return new StoredTensor(name, DType.F32, t.shape(), MemorySegment.ofArray(v));
            });
        }

        @Override
        public String describe() {
            return src.describe() + " (dequantized)";
        }

        @Override
        public void close() {
        }
    }
}
