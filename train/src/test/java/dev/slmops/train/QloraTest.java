package dev.slmops.train;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.engine.HfWeightSource;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.tensor.quant.Quantize;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * QLoRA: with the base projections stored quantized (and dequantized a tile at a time in forward and backward),
 * the loss and adapter gradients equal those of the same adapter over an F32 base holding the dequantized values
 * (the quantized product is exactly the F32 product of the dequantized matrix, up to summation order).
 */
class QloraTest {
    static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    /** The model's projection matrices stored in {@code dtype} (quantized); with {@code asF32}, their dequantized F32 values. */
    record QuantizedSource(WeightSource src, DType dtype, boolean asF32, Arena arena) implements WeightSource {
        @Override
        public Optional<StoredTensor> find(String name) {
            Optional<StoredTensor> t = src.find(name);
            if (t.isEmpty() || t.get().rank() != 2 || !name.contains("_proj")) return t;
            StoredTensor s = t.get();
            float[] f = Dequantize.toFloat(s.dtype(), s.data(), Math.toIntExact(s.elementCount()));
            MemorySegment q = arena.allocate(dtype.bytesFor(f.length), 16);
            Quantize.fromFloat(dtype, f, 0, q, 0, f.length);
            if (!asF32) return Optional.of(new StoredTensor(name, dtype, s.shape(), q));
            float[] back = Dequantize.toFloat(dtype, q, f.length);
            MemorySegment seg = arena.allocate(4L * back.length, 16);
            Quantize.fromFloat(DType.F32, back, 0, seg, 0, back.length);
            return Optional.of(new StoredTensor(name, DType.F32, s.shape(), seg));
        }

        @Override
        public String describe() {
            return src.describe() + " (projections as " + dtype + ")";
        }

        @Override
        public void close() {
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "F16", "BF16"})
    void adapterGradientsOverAQuantizedBaseEqualThoseOverItsDequantizedF32Copy(String dtypeName) throws Exception {
        DType dtype = DType.valueOf(dtypeName);
        Path dir = TorchGoldens.dir("qwen2");
        List<Example> batch = TorchGoldens.batch(dir);
        LoraConfig lora = new LoraConfig(4, 8, 0f, List.of("all-linear"), false, 3);
        try (HfModelDir hf = HfModelDir.open(dir); Arena arena = Arena.ofConfined()) {
            ModelConfig c = ModelConfig.fromHf(hf.config());
            WeightSource base = new HfWeightSource(hf);
            LoraFineTuning quantized = LoraFineTuning.create(c, new QuantizedSource(base, dtype, false, arena), lora, c.contextLength(), POOL);
            LoraFineTuning f32 = LoraFineTuning.create(c, new QuantizedSource(base, dtype, true, arena), lora, c.contextLength(), POOL);
            // B starts at zero: give both the same non-zero B so every gradient path is exercised
            java.util.Random rnd = new java.util.Random(9);
            for (Parameters.Entry e : quantized.parameters().entries()) {
                if (!e.name().contains("lora_B")) continue;
                for (int i = 0; i < e.length(); i++) {
                    float v = (float) (rnd.nextGaussian() * 0.05);
                    quantized.parameters().values()[e.offset() + i] = v;
                    f32.parameters().values()[e.offset() + i] = v;
                }
            }
            Loss lq = quantized.forwardBackward(batch), lf = f32.forwardBackward(batch);
            assertThat(lq.sum()).isCloseTo(lf.sum(), org.assertj.core.api.Assertions.within(1e-5 * Math.abs(lf.sum())));
            float[] gq = quantized.parameters().grads(), gf = f32.parameters().grads();
            double maxDiff = 0, maxRef = 0;
            for (int i = 0; i < gf.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(gq[i] - gf[i]));
                maxRef = Math.max(maxRef, Math.abs(gf[i]));
            }
            System.out.printf("QLoRA %s: loss %.6f vs %.6f, max grad diff %.3g of %.3g%n", dtype, lq.sum(), lf.sum(), maxDiff, maxRef);
            assertThat(maxDiff / maxRef).isLessThan(1e-5);
        }
    }
}
