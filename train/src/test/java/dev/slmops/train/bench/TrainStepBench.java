package dev.slmops.train.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.arch.ModelTensors;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.hf.HfConfig;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.train.Example;
import dev.slmops.train.FullFineTuning;
import dev.slmops.train.LoraConfig;
import dev.slmops.train.LoraFineTuning;
import dev.slmops.train.Parameters;
import dev.slmops.train.Trainable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Tokens/s of one training step (forward, backward, AdamW update) on the smollm2-135m shape with random F32 weights:
 * {@code TrainStepBench full|lora [seq=512] [threads=2] [steps=5] [checkpointing=false]}. Prints one line
 * "RESULT method tokens_per_s median_step_s gflop_per_step tokens_per_cpu_s_x_threads cpu_s" for scripts/bench-train-vs-torch.sh. (A benchmark, not a test.)
 */
public final class TrainStepBench {
    public static void main(String[] args) throws Exception {
        String method = args.length > 0 ? args[0] : "lora";
        int seq = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        boolean ckpt = args.length > 4 && Boolean.parseBoolean(args[4]);

        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("model_type", "llama").put("vocab_size", 49152).put("hidden_size", 576).put("intermediate_size", 1536)
                .put("num_hidden_layers", Integer.getInteger("layers", 30)).put("num_attention_heads", 9).put("num_key_value_heads", 3)
                .put("max_position_embeddings", 8192).put("rms_norm_eps", 1e-5).put("rope_theta", 100000.0)
                .put("tie_word_embeddings", true);
        ModelConfig c = ModelConfig.fromHf(HfConfig.fromJson(j, "smollm2-135m shape"));
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(threads)) {
            WeightSource src = randomWeights(c, arena);
            Trainable model = method.equals("full")
                    ? FullFineTuning.create(c, src, seq, pool).gradientCheckpointing(ckpt)
                    : LoraFineTuning.create(c, src, new LoraConfig(16, 32, 0f, List.of("q_proj", "k_proj", "v_proj",
                    "o_proj", "gate_proj", "up_proj", "down_proj"), false, 1), seq, pool).gradientCheckpointing(ckpt);
            Parameters p = model.parameters();
            SplittableRandom rnd = new SplittableRandom(7);
            int[] tokens = new int[seq];
            boolean[] on = new boolean[seq];
            for (int i = 0; i < seq; i++) {
                tokens[i] = rnd.nextInt(c.vocabSize());
                on[i] = true;
            }
            List<Example> batch = List.of(new Example(tokens, on));
            float[] m = new float[p.size()], v = new float[p.size()];
            double[] times = new double[steps], cpus = new double[steps];
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            for (int s = -1; s < steps; s++) { // one warm-up step
                long t0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                p.zeroGrads();
                double loss = model.forwardBackward(batch).mean();
                adamW(p, m, v, s + 2, 1e-4f, pool);
                double dt = (System.nanoTime() - t0) / 1e9, cpu = (os.getProcessCpuTime() - c0) / 1e9;
                if (s >= 0) {
                    times[s] = dt;
                    cpus[s] = cpu;
                }
                System.out.printf("step %d: loss %.4f, %.2f s, %.1f tokens/s, %.1f CPU-s%n", s + 1, loss, dt, seq / dt, cpu);
            }
            Arrays.sort(times);
            Arrays.sort(cpus);
            double median = times[steps / 2], cpu = cpus[steps / 2];
            double flops = stepFlops(c, seq, method.equals("full"));
            // tokens/s of wall time, GFLOP per step, tokens per CPU-second x threads (the rate on idle cores)
            System.out.printf("RESULT %s %.1f %.3f %.1f %.1f %.1f%n", method, seq / median, median, flops / 1e9,
                    seq * threads / cpu, cpu);
        }
    }

    /**
     * Matmul FLOPs of a step: forward 2 T P_matmul + attention 2 * 2 T^2/2 Dh H per layer; backward twice that
     * (full: dx and dW) or once for the frozen weights plus the adapters (LoRA: dx only through the base).
     */
    static double stepFlops(ModelConfig c, int seq, boolean full) {
        double pm = 0;
        for (ModelTensors.Spec s : ModelTensors.of(c)) if (s.kind() == ModelTensors.Kind.MATRIX) pm += s.shape()[0] * s.shape()[1];
        pm += (double) c.vocabSize() * c.hiddenSize(); // the (tied) output projection
        double attn = c.numLayers() * 2.0 * 2 * seq * seq / 2.0 * c.headDim() * c.numHeads();
        double fwd = 2.0 * seq * pm + attn;
        return full ? 3 * fwd : 2 * fwd;
    }

    /** A plain AdamW step (the trainer's optimizer is elsewhere; this keeps the step comparable with torch's). */
    static void adamW(Parameters p, float[] m, float[] v, int t, float lr, WorkerPool pool) {
        float[] w = p.values(), g = p.grads();
        float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f;
        float c1 = (float) (1 - Math.pow(b1, t)), c2 = (float) (1 - Math.pow(b2, t));
        int n = w.length, chunk = 1 << 16;
        pool.parallelFor((n + chunk - 1) / chunk, k -> {
            for (int i = k * chunk, e = Math.min(n, i + chunk); i < e; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                w[i] -= lr * ((m[i] / c1) / ((float) Math.sqrt(v[i] / c2) + eps) + wd * w[i]);
            }
        });
    }

    /** Every tensor of the architecture, random F32 (norms 1), in native memory. */
    static WeightSource randomWeights(ModelConfig c, Arena arena) {
        Map<String, StoredTensor> m = new HashMap<>();
        SplittableRandom rnd = new SplittableRandom(1);
        for (ModelTensors.Spec s : ModelTensors.of(c)) {
            long n = Arrays.stream(s.shape()).reduce(1, Math::multiplyExact);
            MemorySegment seg = arena.allocate(4 * n, 64);
            boolean norm = s.kind() == ModelTensors.Kind.NORM;
            for (long i = 0; i < n; i++) {
                seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, norm ? 1f : (float) ((rnd.nextDouble() * 2 - 1) * 0.04));
            }
            m.put(s.name(), new StoredTensor(s.name(), DType.F32, s.shape(), seg));
        }
        return new WeightSource() {
            @Override
            public Optional<StoredTensor> find(String name) {
                return Optional.ofNullable(m.get(name));
            }

            @Override
            public String describe() {
                return "random smollm2-135m-shaped weights";
            }

            @Override
            public void close() {
            }
        };
    }

    private TrainStepBench() {
    }
}
