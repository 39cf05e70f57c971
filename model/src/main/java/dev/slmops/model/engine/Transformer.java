package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.layers.Projection;
import dev.slmops.model.layers.RmsNormLayer;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraProjection;
import dev.slmops.model.lora.RowAdapters;
import dev.slmops.tensor.ops.Activations;
import dev.slmops.tensor.parallel.WorkerPool;

import java.util.List;

/**
 * The one model definition of every supported architecture, for its three uses: inference (a batch of token chunks
 * from one or more sequences, each with its own {@link KvCache}, per-sequence LoRA adapters unmerged), training
 * (whole sequences, the activations backward needs kept, {@link #backward}) and evaluation (the same forward, nothing
 * kept). A layer is two branches added to the residual, each a class with its forward and backward side by side:
 * <pre>
 *   x = embed(tokens);  per layer: x = x + attention(x) ({@link AttentionBlock}); x = x + mlp(x) ({@link MlpBlock})
 *   h = outputNorm(x);  logits = h W_out^T (inference) or a loss over h (training, in the train module)
 * </pre>
 * Projections run over all rows of the batch at once, attention per sequence; every projection goes through
 * {@link LoraProjection}. What differs between the uses is only where activations go: inference reuses one set of
 * buffers across layers and calls, training keeps a set per layer (or recomputes it: gradient checkpointing).
 *
 * <p>Legend: T rows in the batch, D hidden, F feed-forward, H/Hkv heads, Dh head dim, V vocab.
 *
 * <p>Thread safety: an instance reuses its inference buffers across calls, so inference forward calls on one instance
 * run one at a time (they synchronize on it); batch sequences into one call to run them together. Training passes
 * allocate their own activations.
 */
public final class Transformer {
    private final ModelConfig c;
    private final ModelWeights w;
    private final WorkerPool pool;
    private final AttentionBlock attention;
    private final MlpBlock mlp;
    private final RmsNormLayer norm;

    /** The inputs of the weight-matrix products, by role: which GGUF tensors read them depends on the file. */
    public enum MatmulInput {
        /** attn_norm(x): read by attn_q, attn_k, attn_v (or the fused attn_qkv). */ ATTN_IN,
        /** the attention output: read by attn_output. */ ATTN_OUT,
        /** ffn_norm(x): read by ffn_gate and ffn_up (or the fused ffn_up). */ FFN_IN,
        /** act(gate) * up: read by ffn_down. */ FFN_DOWN_IN,
        /** output_norm(x): read by output (layer -1). */ OUTPUT_IN
    }

    /** Sees matmul inputs [rows, cols] row-major (importance matrices); must not modify them. */
    @FunctionalInterface
    public interface MatmulInputObserver {
        void seen(int layer, MatmulInput role, float[] input, int rows, int cols);
    }

    private volatile MatmulInputObserver observer;

    /** Installs (or with null removes) an observer of every matmul input; costs nothing when none is set. */
    public void observeMatmulInputs(MatmulInputObserver o) {
        this.observer = o;
    }

    /**
     * A chunk of new tokens of one sequence, appended after what its cache holds, with the LoRA adapter this
     * sequence runs under (null: the base model). Sequences of one batch may use different adapters.
     */
    public record SequenceInput(KvCache cache, int[] tokens, boolean allLogits, LoraAdapter adapter) {
        public SequenceInput(KvCache cache, int[] tokens, boolean allLogits) {
            this(cache, tokens, allLogits, null);
        }
    }

    /**
     * @param weights      bound for inference ({@link ModelWeights#bind(ModelConfig, WeightSource)}) or for training
     *                     ({@link ModelWeights#bind(ModelConfig, WeightBinder)} with trainable or frozen kinds)
     * @param contextInUse the longest sequence this instance will see; LongRoPE picks its long factors when it
     *                     exceeds the trained context, as llama.cpp does with n_ctx
     */
    public Transformer(ModelWeights weights, int contextInUse, WorkerPool pool) {
        this.w = weights;
        this.pool = pool;
        this.c = weights.config;
        this.attention = new AttentionBlock(c, contextInUse, pool);
        this.mlp = new MlpBlock(c, pool);
        this.norm = new RmsNormLayer((float) c.rmsNormEps(), c.normPlusOne(), pool);
    }

    public ModelConfig config() {
        return c;
    }

    /** The output projection [V, D] over the final hidden states (a training loss runs it chunk by chunk). */
    public Projection output() {
        return w.output;
    }

    /** One sequence: logits [T, V] for every new token when allLogits, else [1, V] for the last one. */
    public float[] forward(KvCache cache, int[] tokens, boolean allLogits) {
        return forward(List.of(new SequenceInput(cache, tokens, allLogits)))[0];
    }

    /** One sequence under a LoRA adapter (null: none), unmerged. */
    public float[] forward(KvCache cache, int[] tokens, boolean allLogits, LoraAdapter adapter) {
        return forward(List.of(new SequenceInput(cache, tokens, allLogits, adapter)))[0];
    }

    /**
     * One sequence, the last token's logits [V] written into {@code logits} (a [V] array the caller keeps across
     * calls, as a decode loop does; a fresh one when null): a decode step then allocates no [V] array (600 KiB
     * per token for qwen2.5-0.5b: garbage that a young collection finds alive now and then, and promotes).
     */
    public float[] forwardInto(KvCache cache, int[] tokens, LoraAdapter adapter, float[] logits) {
        if (logits != null && logits.length != c.vocabSize()) {
            throw new IllegalArgumentException("logits must hold " + c.vocabSize() + " floats, not " + logits.length);
        }
        return forward(List.of(new SequenceInput(cache, tokens, false, adapter)), false, logits)[0];
    }

    /** A batch; returns per input its logits, [T_i, V] flattened when allLogits else [1, V]. */
    public float[][] forward(List<SequenceInput> inputs) {
        return forward(inputs, false, null);
    }

    /**
     * {@link #forward(List)}, where the [1, V] logits come back in arrays this instance keeps and overwrites on its
     * next call (any thread's): for a caller that is done with them before then, such as a server's decode loop.
     * A step then allocates almost nothing, so the garbage collector has nothing to promote and the process does
     * not grow under load; [T, V] logits (allLogits) are still fresh arrays.
     */
    public float[][] forwardReusingLogits(List<SequenceInput> inputs) {
        return forward(inputs, true, null);
    }

    /** into: one sequence's [V] logits array to fill (reuseLogits false), or null. */
    private float[][] forward(List<SequenceInput> inputs, boolean reuseLogits, float[] into) {
        int rows = 0;
        for (SequenceInput in : inputs) {
            if (in.tokens.length == 0) throw new IllegalArgumentException("a sequence input needs at least one token");
            if (in.cache.length() + in.tokens.length > in.cache.capacity()) {
                throw new IllegalArgumentException("sequence of " + (in.cache.length() + in.tokens.length)
                        + " tokens exceeds the context of " + in.cache.capacity() + " tokens");
            }
            checkTokens(in.tokens);
            if (in.adapter != null) checkAdapter(in.adapter);
            rows += in.tokens.length;
        }
        // Row bookkeeping: each sequence's rows, their positions after what its cache holds, its adapter.
        int S = inputs.size();
        int[] tokens = new int[rows], pos = new int[rows], seqStart = new int[S + 1];
        KvCache[] caches = new KvCache[S];
        LoraAdapter[] adapters = new LoraAdapter[S];
        int r = 0;
        for (int s = 0; s < S; s++) {
            SequenceInput in = inputs.get(s);
            seqStart[s] = r;
            caches[s] = in.cache;
            adapters[s] = in.adapter;
            for (int i = 0; i < in.tokens.length; i++, r++) {
                pos[r] = in.cache.length() + i;
                tokens[r] = in.tokens[i];
            }
        }
        seqStart[S] = rows;
        Batch batch = new Batch(rows, pos, seqStart, caches, RowAdapters.perSequence(seqStart, adapters), observer);

        synchronized (this) { // the activation buffers are this instance's: one forward at a time
            return forwardRows(inputs, batch, tokens, reuseLogits, into);
        }
    }

    /**
     * Inference buffers, reused across forward calls (a decode step would otherwise allocate a dozen arrays, and a
     * 512-token prefill tens of MiB, per call), grown on demand to the most rows seen. Sized exactly to the rows of
     * a call only where the kernels read lengths: they take explicit row counts, so longer buffers are fine. Every
     * layer works in place on them: x is the residual stream, each branch's output lands in one shared buffer.
     */
    private static final class Scratch {
        final int rows;
        final float[] x;               // residual stream [T, D]
        final AttentionBlock.Acts attn;
        final MlpBlock.Acts mlp;
        float[] logits;                // several sequences' logits [total, V] before they are copied out
        float[][] reused = new float[0][]; // forwardReusingLogits' [V] result arrays, by position in the batch

        Scratch(ModelConfig c, boolean fusedProjections, int rows) {
            int D = c.hiddenSize();
            this.rows = rows;
            x = new float[rows * D];
            float[] xn = new float[rows * D];   // normed input of a branch [T, D]
            float[] out = new float[rows * D];  // branch output before the residual add [T, D]
            float[] fused = fusedProjections    // Phi-3 fused projection outputs
                    ? new float[rows * Math.max(c.qDim() + 2 * c.kvDim(), 2 * c.intermediateSize())] : null;
            attn = AttentionBlock.Acts.scratch(c, rows, xn, out, fused);
            mlp = MlpBlock.Acts.scratch(c, rows, xn, out, fused);
        }
    }

    private Scratch scratch;

    private float[][] forwardRows(List<SequenceInput> inputs, Batch batch, int[] tokens, boolean reuseLogits,
                                  float[] into) {
        final int rows = batch.rows(), D = c.hiddenSize();
        if (scratch == null || scratch.rows < rows) scratch = new Scratch(c, w.layers[0].qkv != null, rows);
        Scratch sc = scratch;
        float[] x = sc.x;

        w.embedding.forward(tokens, x);
        LayerActs inPlace = new LayerActs(x, sc.attn, x, sc.mlp, x);
        for (int l = 0; l < c.numLayers(); l++) forwardLayer(l, batch, inPlace);
        for (SequenceInput in : inputs) in.cache.advance(in.tokens.length);

        // --- output: logits of the rows asked for, every sequence's rows in one matmul (the head is the largest
        // matrix of a small model, 136 MB at Q8_0 for qwen2.5-0.5b: one pass over it per step, not one per sequence)
        int V = c.vocabSize(), n = inputs.size();
        int[] outStart = new int[n + 1]; // output rows of sequence s: [outStart[s], outStart[s+1])
        LoraAdapter[] adapters = new LoraAdapter[n];
        for (int s = 0; s < n; s++) {
            SequenceInput in = inputs.get(s);
            outStart[s + 1] = outStart[s] + (in.allLogits ? in.tokens.length : 1);
            adapters[s] = in.adapter;
        }
        int total = outStart[n];
        float[] h = new float[total * D]; // [total, D]
        for (int s = 0, r = 0; s < n; s++) {
            SequenceInput in = inputs.get(s);
            int count = outStart[s + 1] - outStart[s];
            int first = in.allLogits ? r : r + in.tokens.length - 1;
            norm.forward(h, outStart[s] * D, x, first * D, w.outputNorm, count, D);
            r += in.tokens.length;
        }
        // [total, V]: one sequence's logits are returned as they are; several sequences' land in a reused buffer
        // and are copied out, so a batched decode step allocates only the arrays it returns (a step's garbage is
        // what a young collection catches live and promotes: a fresh [total, V] array per step grew the old
        // generation, and the server's RSS, by tens of MiB a second under load)
        boolean direct = n == 1 && !reuseLogits; // the one result array is the matmul's output
        if (!direct && (sc.logits == null || sc.logits.length < (long) total * V)) sc.logits = new float[total * V];
        float[] logits = !direct ? sc.logits : into != null ? into : new float[total * V]; // into: [V], checked
        if (batch.observer() != null) batch.observer().seen(-1, MatmulInput.OUTPUT_IN, h, total, D);
        LoraProjection.forward(w.output, RowAdapters.perSequence(outStart, adapters), h, total, logits, pool);
        if (c.finalSoftcap() > 0) Ops.softcap(logits, total * V, c.finalSoftcap());
        if (direct) return new float[][] {logits};
        float[][] result = new float[n][];
        if (reuseLogits && sc.reused.length < n) sc.reused = java.util.Arrays.copyOf(sc.reused, n);
        for (int s = 0; s < n; s++) {
            int count = outStart[s + 1] - outStart[s];
            if (reuseLogits && count == 1) {
                if (sc.reused[s] == null) sc.reused[s] = new float[V];
                result[s] = sc.reused[s];
                System.arraycopy(logits, outStart[s] * V, result[s], 0, V);
            } else {
                result[s] = java.util.Arrays.copyOfRange(logits, outStart[s] * V, outStart[s + 1] * V);
            }
        }
        return result;
    }

    /**
     * One layer's activations: {@code mid = in + attention(in); out = mid + mlp(mid)}, [T, D] each. Training keeps
     * three arrays; inference passes one array thrice and the layer updates it in place.
     */
    private record LayerActs(float[] in, AttentionBlock.Acts attn, float[] mid, MlpBlock.Acts mlp, float[] out) {
        static LayerActs kept(ModelConfig c, float[] in, int T) {
            int D = c.hiddenSize();
            return new LayerActs(in, AttentionBlock.Acts.kept(c, T), new float[T * D], MlpBlock.Acts.kept(c, T),
                    new float[T * D]);
        }
    }

    private void forwardLayer(int l, Batch b, LayerActs a) {
        ModelWeights.Layer lw = w.layers[l];
        int n = b.rows() * c.hiddenSize();
        float[] o = attention.forward(l, lw, b, a.in(), a.attn()).o();   // mid = in + attention(in)
        if (a.mid() != a.in()) System.arraycopy(a.in(), 0, a.mid(), 0, n);
        Activations.addInPlace(a.mid(), 0, o, 0, n);
        float[] m = mlp.forward(l, lw, b, a.mid(), a.mlp()).m();         // out = mid + mlp(mid)
        if (a.out() != a.mid()) System.arraycopy(a.mid(), 0, a.out(), 0, n);
        Activations.addInPlace(a.out(), 0, m, 0, n);
    }

    /** On entry dx = d loss / d out [T, D]; on return d loss / d in. Parameter gradients accumulate. */
    private void backwardLayer(int l, Batch b, LayerActs a, float[] dx) {
        ModelWeights.Layer lw = w.layers[l];
        mlp.backward(lw, b, a.mid(), a.mlp(), dx);                       // out = mid + mlp(mid): dx is now dmid
        attention.backward(l, lw, b, a.in(), a.attn(), dx);             // mid = in + attention(in): dx is now din
    }

    // ------------------------------------------------------------------------------------------------------------
    // Training and evaluation: whole sequences, no KV cache.

    /** What a training forward keeps for the backward. */
    public enum Keep {
        /** Nothing (evaluation: no backward follows). */ NOTHING,
        /** Each layer's input [T, D] only; the backward recomputes the layer's activations (gradient checkpointing). */
        LAYER_INPUTS,
        /** Every layer's activations. */ ALL
    }

    /**
     * A forward over whole sequences: the final hidden states (after the output norm) and what {@link #backward}
     * reads. Used once: the backward releases the activations as it goes.
     */
    public static final class Pass {
        private final Batch batch;
        private final int[] tokens;
        private final Keep keep;
        private final float[][] layerInputs; // [L][T * D], or null entries with Keep.NOTHING
        private final LayerActs[] acts;      // [L], with Keep.ALL
        private final float[] last;          // [T, D] the last layer's output (the output norm's input)
        private final float[] hidden;        // [T, D] outputNorm(last)
        private boolean backwardDone;

        private Pass(Batch batch, int[] tokens, Keep keep, float[][] layerInputs, LayerActs[] acts, float[] last,
                     float[] hidden) {
            this.batch = batch;
            this.tokens = tokens;
            this.keep = keep;
            this.layerInputs = layerInputs;
            this.acts = acts;
            this.last = last;
            this.hidden = hidden;
        }

        /** T, the rows of all sequences together. */
        public int rows() {
            return batch.rows();
        }

        /** [T, D] the final hidden states (after the output norm), the input of the output projection. */
        public float[] hidden() {
            return hidden;
        }
    }

    /**
     * Forward over whole sequences with no KV cache: sequence s is tokens[seqStart[s] .. seqStart[s+1]), at
     * positions 0, 1, ... . Every projection runs under {@code adapters} (null: none).
     */
    public Pass forward(int[] tokens, int[] seqStart, RowAdapters adapters, Keep keep) {
        int T = tokens.length, D = c.hiddenSize(), L = c.numLayers();
        if (seqStart.length < 2 || seqStart[0] != 0 || seqStart[seqStart.length - 1] != T) {
            throw new IllegalArgumentException("sequence starts must run from 0 to the " + T + " tokens");
        }
        int[] pos = new int[T];
        for (int s = 0; s + 1 < seqStart.length; s++) {
            if (seqStart[s + 1] <= seqStart[s]) throw new IllegalArgumentException("a sequence needs at least one token");
            for (int t = seqStart[s]; t < seqStart[s + 1]; t++) pos[t] = t - seqStart[s];
        }
        checkTokens(tokens);
        Batch b = new Batch(T, pos, seqStart, null, adapters, null);
        float[][] inputs = new float[L][];
        LayerActs[] acts = new LayerActs[L];
        float[] x = new float[T * D];
        w.embedding.forward(tokens, x);
        for (int l = 0; l < L; l++) {
            if (keep != Keep.NOTHING) inputs[l] = x;
            LayerActs a = LayerActs.kept(c, x, T);
            forwardLayer(l, b, a);
            if (keep == Keep.ALL) acts[l] = a;
            x = a.out();
        }
        float[] h = new float[T * D];
        norm.forward(h, x, w.outputNorm, T, D);                          // h = outputNorm(x)
        return new Pass(b, tokens, keep, inputs, acts, x, h);
    }

    /**
     * The backward of {@link #forward(int[], int[], RowAdapters, Keep)} given dHidden [T, D] = d loss / d hidden:
     * the gradients of every trainable weight (and adapter) accumulate (+=).
     */
    public void backward(Pass p, float[] dHidden) {
        if (p.keep == Keep.NOTHING) throw new IllegalStateException("this forward kept nothing for a backward (Keep.NOTHING)");
        if (p.backwardDone) throw new IllegalStateException("a forward pass is backpropagated once (its activations are released)");
        p.backwardDone = true;
        int T = p.rows(), D = c.hiddenSize();
        float[] dx = new float[T * D];
        norm.backward(dx, dHidden, p.last, w.outputNorm, T, D);          // h = outputNorm(x)
        for (int l = c.numLayers() - 1; l >= 0; l--) {                  // dx: d loss / d (layer output), then input
            LayerActs a = p.acts[l];
            if (a == null) {                                             // checkpointing: recompute the layer
                a = LayerActs.kept(c, p.layerInputs[l], T);
                forwardLayer(l, p.batch, a);
            }
            p.acts[l] = null;
            p.layerInputs[l] = null;
            backwardLayer(l, p.batch, a, dx);
        }
        w.embedding.backward(p.tokens, dx);                              // x = embed(tokens)
    }

    private void checkTokens(int[] tokens) {
        for (int t : tokens) {
            if (t < 0 || t >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + c.vocabSize() + ")");
            }
        }
    }

    /** Adapters already checked against this model (identity; weak so dropped adapters go). */
    private final java.util.Set<LoraAdapter> checkedAdapters =
            java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));

    private void checkAdapter(LoraAdapter a) {
        if (checkedAdapters.contains(a)) return;
        a.checkFits(c);
        if (!a.savedTensors().isEmpty()) {
            throw new IllegalArgumentException("adapter " + a.name() + " replaces whole tensors (modules_to_save: "
                    + String.join(", ", a.savedTensors().keySet()) + "), which cannot be applied per request without "
                    + "merging: merge it into the base model (slmops merge) and load the result");
        }
        checkedAdapters.add(a);
    }
}
