package dev.slmops.train.bench;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.arch.ModelTensors;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.hf.HfConfig;
import dev.slmops.model.init.ModelInit;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Quantize;
import dev.slmops.testkit.ProcessMemory;
import dev.slmops.train.Example;
import dev.slmops.train.LoraConfig;
import dev.slmops.train.LoraFineTuning;
import dev.slmops.train.Loss;
import dev.slmops.train.optim.AdamW;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Peak RSS of a QLoRA training step (not a test; run by scripts/qlora-memory.sh): a model of {@code shape}
 * (default qwen2.5-0.5b) with random weights whose matrices and embedding are held as Q4_0 in native memory (what
 * a Q4_0 GGUF maps), LoRA r=16 on all seven projections, one sequence of {@code seq} tokens (default 512), gradient
 * checkpointing, forward + backward + one AdamW step. Prints the resident set before and the peak after.
 */
public final class QloraMemoryProbe {
    public static void main(String[] args) throws Exception {
        String shape = args.length > 0 ? args[0] : "qwen2.5-0.5b";
        int seq = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        ModelConfig c = ModelConfig.fromHf(HfConfig.parse(ModelInit.shapeConfig(shape).toString().getBytes(StandardCharsets.UTF_8), shape));
        Arena arena = Arena.ofShared();
        Map<String, StoredTensor> tensors = new HashMap<>();
        SplittableRandom rnd = new SplittableRandom(1);
        long q4Bytes = 0;
        for (ModelTensors.Spec s : ModelTensors.of(c)) {
            long n = 1;
            for (long d : s.shape()) n *= d;
            boolean matrix = s.kind() == ModelTensors.Kind.MATRIX || s.kind() == ModelTensors.Kind.EMBEDDING;
            DType t = matrix ? DType.Q4_0 : DType.F32;
            MemorySegment seg = arena.allocate(t.bytesFor(n), 64);
            int rows = (int) s.shape()[0], cols = (int) (n / rows);
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < cols; i++) row[i] = matrix ? (float) (rnd.nextGaussian() * 0.02) : 1f;
                Quantize.fromFloat(t, row, 0, seg, t.bytesFor((long) r * cols), cols);
            }
            if (matrix) q4Bytes += seg.byteSize();
            tensors.put(s.name(), new StoredTensor(s.name(), t, s.shape(), seg));
        }
        WeightSource src = new WeightSource() {
            @Override
            public Optional<StoredTensor> find(String hfName) {
                return Optional.ofNullable(tensors.get(hfName));
            }

            @Override
            public String describe() {
                return shape + " (random, Q4_0)";
            }

            @Override
            public void close() {
            }
        };
        System.gc();
        long before = ProcessMemory.rssBytes();
        boolean reset = ProcessMemory.resetPeak();
        try (WorkerPool pool = new WorkerPool(threads)) {
            LoraFineTuning m = LoraFineTuning.create(c, src, new LoraConfig(16, 32, 0.05f, List.of("q_proj", "k_proj",
                    "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), false, 1), seq, pool).gradientCheckpointing(true);
            int[] tokens = new int[seq];
            boolean[] on = new boolean[seq];
            for (int i = 0; i < seq; i++) {
                tokens[i] = rnd.nextInt(c.vocabSize());
                on[i] = true;
            }
            AdamW opt = new AdamW(new AdamW.Config(0.9, 0.999, 1e-8, 0.0), m.parameters().size());
            long t0 = System.nanoTime();
            Loss l = m.forwardBackward(List.of(new Example(tokens, on)));
            opt.step(m.parameters(), 1e-4, pool);
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("shape %s, seq %d, %d threads, Q4_0 weights %.1f MiB, adapter %d params, loss %.4f, step %.1f s%n",
                    shape, seq, threads, q4Bytes / 1048576.0, m.parameters().size(), l.mean(), s);
        }
        System.out.printf("RSS after building the base %.1f MiB; peak RSS %s %.1f MiB (%.3f GiB); max heap %.0f MiB%n",
                before / 1048576.0, reset ? "during the step" : "of the process", ProcessMemory.peakRssBytes() / 1048576.0,
                ProcessMemory.peakRssBytes() / 1073741824.0, Runtime.getRuntime().maxMemory() / 1048576.0);
    }
}
