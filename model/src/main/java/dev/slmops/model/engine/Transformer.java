package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraMatmul;
import dev.slmops.model.lora.LoraWeights;

import dev.slmops.tensor.ops.Activations;
import dev.slmops.tensor.ops.Attention;
import dev.slmops.tensor.ops.PagedAttention;
import dev.slmops.tensor.ops.RmsNorm;
import dev.slmops.tensor.parallel.WorkerPool;

import java.util.List;

/**
 * The forward pass of every supported architecture: one straight line with a few named switches from
 * {@link ModelConfig}. It runs a batch of token chunks from one or more sequences, each with its own
 * {@link KvCache}: projections run over all rows of the batch at once, attention per row over its own sequence.
 *
 * <p>Legend: T rows in the batch, D hidden, F feed-forward, H/Hkv heads, Dh head dim, V vocab.
 *
 * <p>Thread safety: an instance reuses its activation buffers across calls, so forward calls on one instance run
 * one at a time (they synchronize on it); batch sequences into one call to run them together.
 */
public final class Transformer {
    private final ModelConfig c;
    private final ModelWeights w;
    private final RopeTable ropeGlobal; // full-attention layers (with rope scaling)
    private final RopeTable ropeLocal;  // sliding-window layers (Gemma 3: own base, no scaling)
    private final WorkerPool pool;
    private final Attention.Params attnGlobal;  // full causal attention
    private final Attention.Params attnSliding; // within the sliding window

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
     * @param contextInUse the longest sequence this instance will see; LongRoPE picks its long factors when it
     *                     exceeds the trained context, as llama.cpp does with n_ctx
     */
    public Transformer(ModelWeights weights, int contextInUse, WorkerPool pool) {
        this.w = weights;
        this.pool = pool;
        this.c = weights.config;
        boolean longFactors = c.ropeScaling() != null && c.ropeScaling().type().equals("longrope")
                && contextInUse > c.ropeScaling().originalContext();
        this.ropeGlobal = new RopeTable(c.ropeDims(), c.ropeTheta(), c.ropeScaling(), longFactors);
        this.ropeLocal = new RopeTable(c.ropeDims(), c.ropeLocalTheta(), null, false);
        this.attnGlobal = new Attention.Params(c.numHeads(), c.numKvHeads(), c.headDim(), c.attentionScale(), 0,
                c.attnSoftcap());
        this.attnSliding = new Attention.Params(c.numHeads(), c.numKvHeads(), c.headDim(), c.attentionScale(),
                c.slidingWindow(), c.attnSoftcap());
    }

    public ModelConfig config() {
        return c;
    }

    /** One sequence: logits [T, V] for every new token when allLogits, else [1, V] for the last one. */
    public float[] forward(KvCache cache, int[] tokens, boolean allLogits) {
        return forward(List.of(new SequenceInput(cache, tokens, allLogits)))[0];
    }

    /** One sequence under a LoRA adapter (null: none), unmerged. */
    public float[] forward(KvCache cache, int[] tokens, boolean allLogits, LoraAdapter adapter) {
        return forward(List.of(new SequenceInput(cache, tokens, allLogits, adapter)))[0];
    }

    /** A batch; returns per input its logits, [T_i, V] flattened when allLogits else [1, V]. */
    public float[][] forward(List<SequenceInput> inputs) {
        int rows = 0;
        for (SequenceInput in : inputs) {
            if (in.tokens.length == 0) throw new IllegalArgumentException("a sequence input needs at least one token");
            if (in.cache.length() + in.tokens.length > in.cache.capacity()) {
                throw new IllegalArgumentException("sequence of " + (in.cache.length() + in.tokens.length)
                        + " tokens exceeds the context of " + in.cache.capacity() + " tokens");
            }
            for (int t : in.tokens) {
                if (t < 0 || t >= c.vocabSize()) {
                    throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + c.vocabSize() + ")");
                }
            }
            if (in.adapter != null) checkAdapter(in.adapter);
            rows += in.tokens.length;
        }
        // Row bookkeeping: which cache and position each row belongs to.
        KvCache[] rowCache = new KvCache[rows];
        int[] rowPos = new int[rows];
        int[] tokens = new int[rows];
        LoraAdapter[] rowLora = inputs.stream().anyMatch(in -> in.adapter != null) ? new LoraAdapter[rows] : null;
        int r = 0;
        for (SequenceInput in : inputs) {
            for (int i = 0; i < in.tokens.length; i++, r++) {
                if (rowLora != null) rowLora[r] = in.adapter;
                rowCache[r] = in.cache;
                rowPos[r] = in.cache.length() + i;
                tokens[r] = in.tokens[i];
            }
        }

        synchronized (this) { // the activation buffers are this instance's: one forward at a time
            return forwardRows(inputs, rows, rowCache, rowPos, tokens, rowLora);
        }
    }

    /**
     * Activation buffers, reused across forward calls (a decode step would otherwise allocate a dozen arrays, and a
     * 512-token prefill tens of MiB, per call), grown on demand to the most rows seen. Sized exactly to the rows of
     * a call only where the kernels read lengths: they take explicit row counts, so longer buffers are fine.
     */
    private static final class Scratch {
        int rows;
        float[] x, xn, q, k, v, att, proj, gate, up, fused;
        float[][] qkvOut, gateUpOut;

        Scratch(ModelConfig c, int rows) {
            int D = c.hiddenSize(), F = c.intermediateSize(), qDim = c.qDim(), kvDim = c.kvDim();
            this.rows = rows;
            x = new float[rows * D];      // residual stream [T, D]
            xn = new float[rows * D];     // normed input of a sub-block [T, D]
            q = new float[rows * qDim];   // [T, H*Dh]
            k = new float[rows * kvDim];  // [T, Hkv*Dh]
            v = new float[rows * kvDim];  // [T, Hkv*Dh]
            att = new float[rows * qDim]; // attention output [T, H*Dh]
            proj = new float[rows * D];   // sub-block output before the residual add [T, D]
            gate = new float[rows * F];   // [T, F]
            up = new float[rows * F];     // [T, F]
            qkvOut = new float[][] {q, k, v};
            gateUpOut = new float[][] {gate, up};
            decOff = new int[rows];
            decPos = new int[rows];
            decPageRows = new int[rows];
            decK = new float[rows][][];
            decV = new float[rows][][];
        }

        /** Decoding rows of one layer's attention: query/output offset, position, and the sequence's KV pages. */
        int[] decOff, decPos, decPageRows;
        float[][][] decK, decV;

        void decodeRow(int i, int off, int pos, KvCache.View k, KvCache.View v) {
            decOff[i] = off;
            decPos[i] = pos;
            decPageRows[i] = k.pageRows();
            decK[i] = k.pages();
            decV[i] = v.pages();
        }
    }

    private Scratch scratch;

    private float[][] forwardRows(List<SequenceInput> inputs, int rows, KvCache[] rowCache, int[] rowPos, int[] tokens,
                                  LoraAdapter[] rowLora) {
        final int D = c.hiddenSize(), F = c.intermediateSize(), H = c.numHeads(), Hkv = c.numKvHeads();
        final int Dh = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim();
        if (scratch == null || scratch.rows < rows) scratch = new Scratch(c, rows);
        Scratch sc = scratch;
        float[] x = sc.x, xn = sc.xn, q = sc.q, k = sc.k, v = sc.v, att = sc.att, proj = sc.proj, gate = sc.gate, up = sc.up;
        float[] fused = sc.fused;             // Phi-3 fused projection outputs
        MatmulInputObserver obs = observer;

        for (int t = 0; t < rows; t++) {
            w.embed(tokens[t], x, t * D);
            if (c.embeddingScale() != 1f) Ops.scale(x, t * D, D, c.embeddingScale());
        }

        for (int l = 0; l < c.numLayers(); l++) {
            ModelWeights.Layer lw = w.layers[l];
            boolean sliding = c.isSliding(l);
            RopeTable rope = sliding ? ropeLocal : ropeGlobal;

            // --- attention: x = x + [postAttnNorm](o(attention(rope(qk-norm(q, k)), v)))
            rmsNorm(xn, 0, x, 0, lw.attnNorm, rows, D);
            if (obs != null) obs.seen(l, MatmulInput.ATTN_IN, xn, rows, D);
            if (lw.qkv != null) {
                if (fused == null || fused.length < rows * Math.max(qDim + 2 * kvDim, 2 * F)) {
                    fused = sc.fused = new float[rows * Math.max(qDim + 2 * kvDim, 2 * F)];
                }
                lw.qkv.forward(xn, rows, fused, pool);
                addLora(lw.qkv, rowLora, xn, rows, fused);
                Ops.split3(fused, rows, q, qDim, k, kvDim, v, kvDim);
            } else {
                Linear.forwardAll(lw.qkvSplit, xn, rows, sc.qkvOut, pool);
                addLora(lw.q, rowLora, xn, rows, q);
                addLora(lw.k, rowLora, xn, rows, k);
                addLora(lw.v, rowLora, xn, rows, v);
            }
            if (lw.qNorm != null) {
                rmsNorm(q, 0, q, 0, lw.qNorm, rows * H, Dh);
                rmsNorm(k, 0, k, 0, lw.kNorm, rows * Hkv, Dh);
            }
            for (int t = 0; t < rows; t++) {
                rope.apply(q, t * qDim, H, Dh, rowPos[t]);
                rope.apply(k, t * kvDim, Hkv, Dh, rowPos[t]);
                rowCache[t].put(l, rowPos[t], k, t * kvDim, v, t * kvDim);
            }
            Attention.Params ap = sliding ? attnSliding : attnGlobal;
            int singles = 0; // sequences with one new row (decoding): attended together below, in one pool loop
            for (int r0 = 0; r0 < rows; ) { // one attention call per sequence's contiguous chunk of rows
                KvCache cache = rowCache[r0];
                int r1 = r0;
                while (r1 < rows && rowCache[r1] == cache) r1++;
                int end = rowPos[r1 - 1] + 1;
                KvCache.View ks = cache.keys(l, end), vs = cache.values(l, end);
                if (r1 - r0 == 1) { // (an F16 view is its cache's own widening buffer: valid until its next layer)
                    sc.decodeRow(singles++, r0 * qDim, rowPos[r0], ks, vs);
                } else {
                    PagedAttention.attend(ap, q, r0 * qDim, r1 - r0, rowPos[r0], ks.pages(), vs.pages(), ks.pageRows(),
                            0, end, att, r0 * qDim, pool);
                }
                r0 = r1;
            }
            if (singles > 0) {
                PagedAttention.attendDecode(ap, q, sc.decOff, sc.decPos, sc.decK, sc.decV, sc.decPageRows, att, sc.decOff,
                        singles, pool);
            }
            if (obs != null) obs.seen(l, MatmulInput.ATTN_OUT, att, rows, qDim);
            lw.o.forward(att, rows, proj, pool);
            addLora(lw.o, rowLora, att, rows, proj);
            if (lw.postAttnNorm != null) rmsNorm(proj, 0, proj, 0, lw.postAttnNorm, rows, D);
            Activations.addInPlace(x, 0, proj, 0, rows * D);

            // --- MLP: x = x + [postFfnNorm](down(act(gate(xn)) * up(xn)))
            rmsNorm(xn, 0, x, 0, lw.ffnNorm, rows, D);
            if (obs != null) obs.seen(l, MatmulInput.FFN_IN, xn, rows, D);
            if (lw.gateUp != null) {
                lw.gateUp.forward(xn, rows, fused, pool);
                addLora(lw.gateUp, rowLora, xn, rows, fused);
                Ops.split2(fused, rows, gate, up, F);
            } else {
                Linear.forwardAll(lw.gateAndUp, xn, rows, sc.gateUpOut, pool);
                addLora(lw.gate, rowLora, xn, rows, gate);
                addLora(lw.up, rowLora, xn, rows, up);
            }
            if (c.activation() == ModelConfig.Activation.SILU) Activations.swiglu(gate, 0, up, 0, rows * F);
            else Activations.geglu(gate, 0, up, 0, rows * F);
            if (obs != null) obs.seen(l, MatmulInput.FFN_DOWN_IN, gate, rows, F);
            lw.down.forward(gate, rows, proj, pool);
            addLora(lw.down, rowLora, gate, rows, proj);
            if (lw.postFfnNorm != null) rmsNorm(proj, 0, proj, 0, lw.postFfnNorm, rows, D);
            Activations.addInPlace(x, 0, proj, 0, rows * D);
        }
        for (SequenceInput in : inputs) in.cache.advance(in.tokens.length);

        // --- output: logits of the rows asked for, all sequences' rows in one matmul (the head is the largest
        // matrix of a small model, 136 MB at Q8_0 for qwen2.5-0.5b: one pass over it per step, not one per sequence)
        int V = c.vocabSize();
        int[] outFirst = new int[inputs.size()], outCount = new int[inputs.size()];
        int total = 0;
        for (int s = 0, r = 0; s < inputs.size(); s++) {
            SequenceInput in = inputs.get(s);
            int n = in.tokens.length;
            outFirst[s] = in.allLogits ? r : r + n - 1;
            outCount[s] = in.allLogits ? n : 1;
            total += outCount[s];
            r += n;
        }
        float[] h = new float[total * D]; // [total, D]
        for (int s = 0, o = 0; s < inputs.size(); o += outCount[s], s++) {
            rmsNorm(h, o * D, x, outFirst[s] * D, w.outputNorm, outCount[s], D);
        }
        float[] logits = new float[total * V]; // [total, V]
        if (obs != null) obs.seen(-1, MatmulInput.OUTPUT_IN, h, total, D);
        w.output.forward(h, total, logits, pool);
        for (int s = 0, o = 0; s < inputs.size(); o += outCount[s], s++) {
            LoraAdapter a = inputs.get(s).adapter;
            LoraWeights head = a == null ? null : a.module(w.output.name);
            if (head != null) LoraMatmul.addDelta(head, h, o * D, outCount[s], logits, o * V, pool);
        }
        if (c.finalSoftcap() > 0) Ops.softcap(logits, logits.length, c.finalSoftcap());
        if (inputs.size() == 1) return new float[][]{logits};
        float[][] result = new float[inputs.size()][];
        for (int s = 0, o = 0; s < inputs.size(); o += outCount[s], s++) {
            result[s] = java.util.Arrays.copyOfRange(logits, o * V, (o + outCount[s]) * V);
        }
        return result;
    }

    /**
     * The LoRA half of a projection: y[t] += scale * B (A x[t]) for each run of rows whose sequence has an adapter
     * on this module (rows of one sequence are contiguous). x [T, lin.in], y [T, lin.out].
     */
    private void addLora(Linear lin, LoraAdapter[] rowLora, float[] x, int rows, float[] y) {
        if (rowLora == null) return;
        for (int r0 = 0; r0 < rows; ) {
            LoraAdapter a = rowLora[r0];
            int r1 = r0;
            while (r1 < rows && rowLora[r1] == a) r1++;
            LoraWeights lw = a == null ? null : a.module(lin.name);
            if (lw != null) LoraMatmul.addDelta(lw, x, r0 * lin.in, r1 - r0, y, r0 * lin.out, pool);
            r0 = r1;
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

    /** RMSNorm of {@code rows} rows of n floats each (per head when n is the head dim). */
    private void rmsNorm(float[] out, int outOff, float[] x, int xOff, float[] w, int rows, int n) {
        for (int r = 0; r < rows; r++) {
            RmsNorm.apply(out, outOff + r * n, x, xOff + r * n, w, n, (float) c.rmsNormEps(), c.normPlusOne());
        }
    }
}
