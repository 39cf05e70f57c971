package dev.slmops.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.engine.HfWeightSource;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.model.init.ModelInit;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.tensor.quant.Quantize;
import dev.slmops.train.optim.AdamW;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * QLoRA over K-quant bases (super-blocks of 256: a model whose projection inputs are multiples of 256): Q4_K, Q5_K,
 * Q6_K, and a Q4_K_M-style mix (llama.cpp's Q4_K_M keeps attn_v and ffn_down in Q6_K, the rest in Q4_K). Four AdamW
 * steps with modules_to_save lm_head: at every step the loss and every gradient over the quantized base (dequantized a
 * tile at a time) equal those over an F32 base holding the dequantized values, within float summation error, and the
 * trained adapters end the same. The dequantization itself is tested against ggml in the tensor module.
 */
class QloraKQuantTest {
    static final WorkerPool POOL = new WorkerPool(2);
    @TempDir
    static Path shared;
    static Path model;

    @BeforeAll
    static void makeModel() throws Exception {
        ObjectNode cfg = ModelInit.shapeConfig("tiny-llama");
        cfg.put("hidden_size", 256).put("intermediate_size", 256).put("num_attention_heads", 4).put("num_key_value_heads", 2)
                .put("vocab_size", 96).put("num_hidden_layers", 1);
        model = ModelInit.write(new ModelInit.Options(cfg, DType.F32, 11, 0.1), List.of(), shared.resolve("k-model"), false);
    }

    @AfterAll
    static void close() {
        POOL.close();
    }

    /** Projections quantized to {@code typeOf(name)}; with {@code asF32}, their dequantized values as F32. */
    record QuantizedSource(WeightSource src, Function<String, DType> typeOf, boolean asF32, Arena arena,
                           java.util.Map<String, Optional<StoredTensor>> done) implements WeightSource {
        QuantizedSource(WeightSource src, Function<String, DType> typeOf, boolean asF32, Arena arena) {
            this(src, typeOf, asF32, arena, new java.util.HashMap<>());
        }

        @Override
        public Optional<StoredTensor> find(String name) {
            return done.computeIfAbsent(name, this::quantized); // K-quant quantization is slow: once per tensor
        }

        private Optional<StoredTensor> quantized(String name) {
            Optional<StoredTensor> t = src.find(name);
            if (t.isEmpty() || t.get().rank() != 2 || !name.contains("_proj")) return t;
            StoredTensor s = t.get();
            DType type = typeOf.apply(name);
            float[] f = Dequantize.toFloat(s.dtype(), s.data(), Math.toIntExact(s.elementCount()));
            MemorySegment q = arena.allocate(type.bytesFor(f.length), 16);
            Quantize.fromFloat(type, f, 0, q, 0, f.length);
            if (!asF32) return Optional.of(new StoredTensor(name, type, s.shape(), q));
            float[] back = Dequantize.toFloat(type, q, f.length);
            MemorySegment seg = arena.allocate(4L * back.length, 16);
            Quantize.fromFloat(DType.F32, back, 0, seg, 0, back.length);
            return Optional.of(new StoredTensor(name, DType.F32, s.shape(), seg));
        }

        @Override
        public String describe() {
            return src.describe() + " (projections quantized)";
        }

        @Override
        public void close() {
        }
    }

    static Function<String, DType> types(String scheme) {
        if (!scheme.equals("Q4_K_M")) return n -> DType.valueOf(scheme);
        return n -> n.contains("v_proj") || n.contains("down_proj") ? DType.Q6_K : DType.Q4_K;
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K", "Q5_K", "Q6_K", "Q4_K_M"})
    void trainingStepsOverAKQuantBaseMatchTheDequantizedF32Base(String scheme) throws Exception {
        LoraConfig lora = new LoraConfig(4, 8, 0f, List.of("all-linear"), false, 5, List.of("lm_head"));
        List<Example> batch = batch();
        try (HfModelDir hf = HfModelDir.open(model); Arena arena = Arena.ofConfined()) {
            ModelConfig c = ModelConfig.fromHf(hf.config());
            WeightSource base = new HfWeightSource(hf);
            QuantizedSource qs = new QuantizedSource(base, types(scheme), false, arena);
            LoraFineTuning quantized = LoraFineTuning.create(c, qs, lora, 64, POOL);
            LoraFineTuning f32 = LoraFineTuning.create(c, new QuantizedSource(base, types(scheme), true, arena), lora, 64, POOL);
            assertThat(qs.find("model.layers.0.mlp.down_proj.weight").orElseThrow().dtype())
                    .isEqualTo(scheme.equals("Q4_K_M") ? DType.Q6_K : DType.valueOf(scheme));
            Parameters pq = quantized.parameters(), pf = f32.parameters();
            assertThat(pq.values()).containsExactly(pf.values()); // same seed, same init
            AdamW optQ = new AdamW(AdamW.Config.defaults(), pq.size()), optF = new AdamW(AdamW.Config.defaults(), pf.size());
            double worstGrad = 0;
            for (int step = 0; step < 4; step++) {
                pq.zeroGrads();
                pf.zeroGrads();
                Loss lq = quantized.forwardBackward(batch), lf = f32.forwardBackward(batch);
                assertThat(lq.sum()).as("%s step %d loss", scheme, step)
                        .isCloseTo(lf.sum(), org.assertj.core.api.Assertions.within(1e-5 * Math.abs(lf.sum())));
                for (Parameters.Entry e : pf.entries()) {
                    double maxDiff = 0, maxRef = 0;
                    for (int i = e.offset(); i < e.offset() + e.length(); i++) {
                        maxDiff = Math.max(maxDiff, Math.abs(pq.grads()[i] - pf.grads()[i]));
                        maxRef = Math.max(maxRef, Math.abs(pf.grads()[i]));
                    }
                    if (maxRef == 0) continue; // B = 0 at step 0: A's gradients are exactly zero on both
                    worstGrad = Math.max(worstGrad, maxDiff / maxRef);
                    assertThat(maxDiff / maxRef).as("%s step %d gradient %s", scheme, step, e.name()).isLessThan(1e-4);
                }
                optQ.step(pq, 1e-2);
                optF.step(pf, 1e-2);
                if (step == 3) {
                    System.out.printf("QLoRA %s: loss %.6f vs F32 %.6f after 3 steps, worst gradient difference %.2g%n",
                            scheme, lq.sum(), lf.sum(), worstGrad);
                }
            }
            double maxDiff = 0, maxRef = 0;
            for (int i = 0; i < pf.size(); i++) {
                maxDiff = Math.max(maxDiff, Math.abs(pq.values()[i] - pf.values()[i]));
                maxRef = Math.max(maxRef, Math.abs(pf.values()[i]));
            }
            assertThat(maxDiff / maxRef).as("%s trained values", scheme).isLessThan(1e-4);
        }
    }

    /** Two sequences of random tokens, every position after the first a target. */
    static List<Example> batch() {
        SplittableRandom r = new SplittableRandom(4);
        List<Example> out = new ArrayList<>();
        for (int n : new int[] {24, 17}) {
            int[] t = new int[n];
            boolean[] on = new boolean[n];
            for (int i = 0; i < n; i++) {
                t[i] = 3 + r.nextInt(90);
                on[i] = i > 0;
            }
            out.add(new Example(t, on));
        }
        return out;
    }
}
