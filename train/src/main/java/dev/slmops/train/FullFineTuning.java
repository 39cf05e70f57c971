package dev.slmops.train;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.arch.ModelTensors;
import dev.slmops.model.engine.ModelWeights;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.engine.WeightBinder;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.layers.DenseProjection;
import dev.slmops.model.layers.Embedding;
import dev.slmops.model.layers.Projection;
import dev.slmops.model.layers.Vec;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.train.model.NextTokenLoss;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Full fine-tuning: every weight of the model is a parameter, F32, in one flat buffer (entries named as the Hugging
 * Face tensors, in {@link ModelTensors} order; weight decay on matrices and embeddings, not on norms and biases),
 * bound as trainable views into that buffer to the model's one {@link Transformer}.
 */
public final class FullFineTuning implements Trainable {
    private final Parameters params;
    private final NextTokenLoss model;

    private FullFineTuning(Parameters params, NextTokenLoss model) {
        this.params = params;
        this.model = model;
    }

    /**
     * Reads every weight of {@code src} (any stored dtype) into F32 parameters.
     *
     * @param contextInUse the longest sequence planned (LongRoPE picks its factors by it, as the engine does)
     */
    public static FullFineTuning create(ModelConfig c, WeightSource src, int contextInUse, WorkerPool pool) {
        List<Parameters.Entry> entries = new ArrayList<>();
        Map<String, Parameters.Entry> byName = new HashMap<>();
        long total = 0;
        for (ModelTensors.Spec s : ModelTensors.of(c)) {
            long n = Arrays.stream(s.shape()).reduce(1, Math::multiplyExact);
            int[] shape = Arrays.stream(s.shape()).mapToInt(Math::toIntExact).toArray();
            if (total + n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("full fine-tuning holds all weights in one F32 buffer of at most 2^31 "
                        + "values; this model has more: use LoRA");
            }
            boolean decay = s.kind() == ModelTensors.Kind.MATRIX || s.kind() == ModelTensors.Kind.EMBEDDING;
            Parameters.Entry e = new Parameters.Entry(s.name(), shape, (int) total, (int) n, decay);
            entries.add(e);
            byName.put(s.name(), e);
            total += n;
        }
        float[] values = new float[(int) total], grads = new float[(int) total];
        for (Parameters.Entry e : entries) {
            StoredTensor t = src.require(e.name());
            long[] expected = Arrays.stream(e.shape()).asLongStream().toArray();
            if (!Arrays.equals(t.shape(), expected)) {
                throw new IllegalArgumentException(src.describe() + ": tensor " + e.name() + " has shape "
                        + Arrays.toString(t.shape()) + ", the config implies " + Arrays.toString(expected));
            }
            Dequantize.toFloat(t.dtype(), t.data(), 0, values, e.offset(), e.length());
        }
        Parameters params = new Parameters(values, grads, entries);
        ModelWeights w = ModelWeights.bind(c, new WeightBinder() {
            private int off(String name) {
                return byName.get(name).offset();
            }

            @Override
            public Embedding embedding(String name, int vocab, int dim, float scale) {
                return Embedding.trainable(dim, scale, values, grads, off(name));
            }

            @Override
            public Vec vector(String name, int n) {
                return new Vec(values, grads, off(name), n);
            }

            @Override
            public Projection matrix(String module, int out, int in, Vec bias) {
                return new DenseProjection(module, out, in, values, grads, off(module + ".weight"), bias);
            }

            @Override
            public Projection tiedOutput(int vocab, int dim) {
                return new DenseProjection("lm_head", vocab, dim, values, grads, off("model.embed_tokens.weight"), null);
            }
        });
        return new FullFineTuning(params, new NextTokenLoss(new Transformer(w, contextInUse, pool), null, pool));
    }

    /** Recompute each layer's activations in the backward instead of keeping them (less memory, ~1/3 more work). */
    public FullFineTuning gradientCheckpointing(boolean on) {
        model.gradientCheckpointing(on);
        return this;
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public Loss forwardBackward(List<Example> batch) {
        return model.forwardBackward(batch);
    }

    @Override
    public Loss evaluate(List<Example> batch) {
        return model.evaluate(batch);
    }
}
