package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.layers.RmsNormLayer;
import dev.slmops.model.lora.LoraProjection;
import dev.slmops.model.lora.RowAdapters;
import dev.slmops.tensor.ops.Attention;
import dev.slmops.tensor.ops.PagedAttention;
import dev.slmops.tensor.ops.AttentionBackward;
import dev.slmops.tensor.parallel.WorkerPool;

/**
 * The attention branch of a layer, forward and backward side by side, for every architecture's variants (GQA,
 * fused Phi-3 qkv, Qwen2 biases, Qwen3/Gemma 3 q/k norms, RoPE variants, Gemma 3 sliding layers and post-attention
 * norm, soft-capped scores):
 * <pre>
 *   xn = attnNorm(in); q, k, v = proj(xn); q, k = rope(qk-norm(q, k)); att = attention(q, k, v); o = [postNorm](o(att))
 * </pre>
 * The caller adds o to the residual. Inference appends k and v to each sequence's KV cache and attends over it;
 * training attends over the batch's own k and v, per sequence.
 *
 * <p>Legend: T rows, D hidden, H/Hkv heads, Dh head dim.
 */
final class AttentionBlock {
    private final ModelConfig c;
    private final RmsNormLayer norm;
    private final RopeTable ropeGlobal; // full-attention layers (with rope scaling)
    private final RopeTable ropeLocal;  // sliding-window layers (Gemma 3: own base, no scaling)
    private final Attention.Params attnGlobal;  // full causal attention
    private final Attention.Params attnSliding; // within the sliding window
    private final WorkerPool pool;

    /**
     * What one forward wrote and the backward reads, all [T, .] row-major. Kept per layer in training; in inference
     * one set serves every layer and aliases what need not be kept (qRaw == q, kRaw == k, o == oRaw).
     *
     * @param xn    [T, D] attnNorm(in)
     * @param qRaw  [T, H*Dh] the q projection, before the q norm (== q without q/k norms)
     * @param kRaw  [T, Hkv*Dh] likewise for k
     * @param q     [T, H*Dh] after the q norm and RoPE: what attention read
     * @param k     [T, Hkv*Dh] likewise
     * @param v     [T, Hkv*Dh]
     * @param fused [T, (H+2Hkv)*Dh] a reusable buffer for Phi-3's fused projection output, or null (allocated per call)
     * @param att   [T, H*Dh] attention output
     * @param oRaw  [T, D] o(att), before the post-attention norm
     * @param o     [T, D] the branch output (== oRaw without a post-attention norm)
     */
    record Acts(float[] xn, float[] qRaw, float[] kRaw, float[] q, float[] k, float[] v, float[] fused, float[] att,
                float[] oRaw, float[] o) {
        /** Fresh arrays for T rows, each activation backward reads in its own array. */
        static Acts kept(ModelConfig c, int T) {
            int D = c.hiddenSize(), qDim = c.qDim(), kvDim = c.kvDim();
            float[] q = new float[T * qDim], k = new float[T * kvDim];
            float[] oRaw = new float[T * D];
            return new Acts(new float[T * D], c.qkNorm() ? new float[T * qDim] : q, c.qkNorm() ? new float[T * kvDim] : k,
                    q, k, new float[T * kvDim], null, new float[T * qDim], oRaw,
                    c.sandwichNorms() ? new float[T * D] : oRaw);
        }

        /** Inference buffers for up to T rows, working in place; xn, the output and fused are shared with the MLP's. */
        static Acts scratch(ModelConfig c, int T, float[] xn, float[] out, float[] fused) {
            int qDim = c.qDim(), kvDim = c.kvDim();
            float[] q = new float[T * qDim], k = new float[T * kvDim];
            return new Acts(xn, q, k, q, k, new float[T * kvDim], fused, new float[T * qDim], out, out);
        }
    }

    AttentionBlock(ModelConfig c, int contextInUse, WorkerPool pool) {
        this.c = c;
        this.pool = pool;
        this.norm = new RmsNormLayer((float) c.rmsNormEps(), c.normPlusOne(), pool);
        boolean longFactors = c.ropeScaling() != null && c.ropeScaling().type().equals("longrope")
                && contextInUse > c.ropeScaling().originalContext();
        this.ropeGlobal = new RopeTable(c.ropeDims(), c.ropeTheta(), c.ropeScaling(), longFactors);
        this.ropeLocal = new RopeTable(c.ropeDims(), c.ropeLocalTheta(), null, false);
        this.attnGlobal = new Attention.Params(c.numHeads(), c.numKvHeads(), c.headDim(), c.attentionScale(), 0,
                c.attnSoftcap());
        this.attnSliding = new Attention.Params(c.numHeads(), c.numKvHeads(), c.headDim(), c.attentionScale(),
                c.slidingWindow(), c.attnSoftcap());
    }

    /**
     * The branch over in [T, D] (layer l's input), written into {@code a}'s buffers, which it returns: a.o() is the
     * branch output, the rest is what {@link #backward} reads.
     */
    Acts forward(int l, ModelWeights.Layer lw, Batch b, float[] in, Acts a) {
        final int T = b.rows(), D = c.hiddenSize(), H = c.numHeads(), Hkv = c.numKvHeads();
        final int Dh = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim();
        RowAdapters ad = b.adapters();
        Transformer.MatmulInputObserver obs = b.observer();

        norm.forward(a.xn(), in, lw.attnNorm, T, D);                                   // xn = attnNorm(in)
        if (obs != null) obs.seen(l, Transformer.MatmulInput.ATTN_IN, a.xn(), T, D);
        if (lw.qkv != null) {                                                          // q | k | v = qkv(xn)
            float[] fused = a.fused() != null ? a.fused() : new float[T * (qDim + 2 * kvDim)];
            LoraProjection.forward(lw.qkv, ad, a.xn(), T, fused, pool);
            Ops.split3(fused, T, a.qRaw(), qDim, a.kRaw(), kvDim, a.v(), kvDim);
        } else {                                                                       // q, k, v = q(xn), k(xn), v(xn)
            Linear.forwardAll(lw.qkvSplit, a.xn(), T, new float[][] {a.qRaw(), a.kRaw(), a.v()}, pool);
            LoraProjection.addDeltas(lw.q, ad, a.xn(), T, a.qRaw(), pool);
            LoraProjection.addDeltas(lw.k, ad, a.xn(), T, a.kRaw(), pool);
            LoraProjection.addDeltas(lw.v, ad, a.xn(), T, a.v(), pool);
        }
        if (lw.qNorm != null) {                                                        // per-head q/k norms
            norm.forward(a.q(), a.qRaw(), lw.qNorm, T * H, Dh);
            norm.forward(a.k(), a.kRaw(), lw.kNorm, T * Hkv, Dh);
        }
        RopeTable rope = c.isSliding(l) ? ropeLocal : ropeGlobal;
        Attention.Params ap = c.isSliding(l) ? attnSliding : attnGlobal;
        DecodeRows decoding = null; // sequences with one new row: attended together, in one pool loop
        for (int s = 0; s < b.sequences(); s++) {
            int r0 = b.seqStart()[s], r1 = b.seqStart()[s + 1];
            KvCache cache = b.caches() == null ? null : b.caches()[s];
            if (cache == null) {                                                       // q, k = rope(q, k)
                ropeRows(rope, a.q(), a.k(), r0, r1, b.pos(), false);
            } else {
                for (int t = r0; t < r1; t++) {
                    rope.apply(a.q(), t * qDim, H, Dh, b.pos()[t]);
                    rope.apply(a.k(), t * kvDim, Hkv, Dh, b.pos()[t]);
                    cache.put(l, b.pos()[t], a.k(), t * kvDim, a.v(), t * kvDim);
                }
            }
            if (cache != null) {                                                       // over the cache: earlier chunks too
                int end = b.pos()[r1 - 1] + 1;
                if (r1 - r0 == 1) {
                    if (decoding == null) decoding = new DecodeRows(b.sequences());
                    if (cache.type() == KvCache.Type.F16) {                            // widened per KV head by its task
                        decoding.addHalf(r0 * qDim, b.pos()[r0], cache.halfKeyPages(l), cache.halfValuePages(l),
                                cache.pageRows());
                    } else {
                        decoding.add(r0 * qDim, b.pos()[r0], cache.keys(l, end), cache.values(l, end));
                    }
                } else {
                    KvCache.View ks = cache.keys(l, end), vs = cache.values(l, end);   // (F16: the cache's own buffers)
                    PagedAttention.attend(ap, a.q(), r0 * qDim, r1 - r0, b.pos()[r0], ks.pages(), vs.pages(),
                            ks.pageRows(), 0, end, a.att(), r0 * qDim, pool);
                }
            } else {                                                                   // whole sequences: rows as positions
                Attention.attend(ap, a.q(), r0 * qDim, r1 - r0, r0, a.k(), a.v(), r0, r1, a.att(), r0 * qDim, pool);
            }
        }
        if (decoding != null) {
            PagedAttention.attendDecode(ap, a.q(), decoding.off, decoding.pos, decoding.k, decoding.v, decoding.k16,
                    decoding.v16, decoding.pageRows, a.att(), decoding.off, decoding.n, pool);
        }
        if (obs != null) obs.seen(l, Transformer.MatmulInput.ATTN_OUT, a.att(), T, qDim);
        LoraProjection.forward(lw.o, ad, a.att(), T, a.oRaw(), pool);                 // oRaw = o(att)
        if (lw.postAttnNorm != null) norm.forward(a.o(), a.oRaw(), lw.postAttnNorm, T, D); // o = postAttnNorm(oRaw)
        return a;
    }

    /** Rows per task of the RoPE passes. */
    private static final int ROPE_ROWS = 32;

    /** RoPE (or its inverse, the backward) on rows [r0, r1) of q [T, H*Dh] and k [T, Hkv*Dh], blocks of rows on the pool. */
    private void ropeRows(RopeTable rope, float[] q, float[] k, int r0, int r1, int[] pos, boolean inverse) {
        final int H = c.numHeads(), Hkv = c.numKvHeads(), Dh = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim();
        pool.parallelFor((r1 - r0 + ROPE_ROWS - 1) / ROPE_ROWS, blk -> {
            for (int t = r0 + blk * ROPE_ROWS, e = Math.min(r1, t + ROPE_ROWS); t < e; t++) {
                if (inverse) {
                    rope.applyBackward(q, t * qDim, H, Dh, pos[t]);
                    rope.applyBackward(k, t * kvDim, Hkv, Dh, pos[t]);
                } else {
                    rope.apply(q, t * qDim, H, Dh, pos[t]);
                    rope.apply(k, t * kvDim, Hkv, Dh, pos[t]);
                }
            }
        });
    }

    /**
     * The decoding rows of one layer: query/output offset, position and KV pages of each such sequence (F32 pages in
     * k/v, or F16 ones in k16/v16).
     */
    private static final class DecodeRows {
        final int[] off, pos, pageRows;
        final float[][][] k, v;
        final short[][][] k16, v16;
        int n;

        DecodeRows(int capacity) {
            off = new int[capacity];
            pos = new int[capacity];
            pageRows = new int[capacity];
            k = new float[capacity][][];
            v = new float[capacity][][];
            k16 = new short[capacity][][];
            v16 = new short[capacity][][];
        }

        void add(int offset, int position, KvCache.View keys, KvCache.View values) {
            off[n] = offset;
            pos[n] = position;
            pageRows[n] = keys.pageRows();
            k[n] = keys.pages();
            v[n++] = values.pages();
        }

        void addHalf(int offset, int position, short[][] keys, short[][] values, int rowsPerPage) {
            off[n] = offset;
            pos[n] = position;
            pageRows[n] = rowsPerPage;
            k16[n] = keys;
            v16[n++] = values;
        }
    }

    /**
     * On entry dx [T, D] = d loss / d (branch output) (the residual's gradient, d loss / d mid); the branch's share of
     * d loss / d in is added to it. Parameter gradients accumulate.
     */
    void backward(int l, ModelWeights.Layer lw, Batch b, float[] in, Acts a, float[] dx) {
        final int T = b.rows(), D = c.hiddenSize(), H = c.numHeads(), Hkv = c.numKvHeads();
        final int Dh = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim();
        RowAdapters ad = b.adapters();

        float[] dO = dx;
        if (lw.postAttnNorm != null) {                                                 // o = postAttnNorm(oRaw)
            dO = new float[T * D];
            norm.backward(dO, dx, a.oRaw(), lw.postAttnNorm, T, D);
        }
        float[] dAtt = new float[T * qDim];
        LoraProjection.backward(lw.o, ad, a.att(), dO, T, dAtt, pool);                // oRaw = o(att)
        float[] dq = new float[T * qDim], dk = new float[T * kvDim], dv = new float[T * kvDim];
        Attention.Params ap = c.isSliding(l) ? attnSliding : attnGlobal;
        for (int s = 0; s < b.sequences(); s++) {                                      // att = attention(q, k, v)
            AttentionBackward.backward(ap, b.seqStart()[s], b.seqStart()[s + 1], a.q(), a.k(), a.v(), dAtt, dq, dk, dv, pool);
        }
        RopeTable rope = c.isSliding(l) ? ropeLocal : ropeGlobal;
        ropeRows(rope, dq, dk, 0, T, b.pos(), true);                               // q = rope(qn): dqn = rope^-1(dq)
        if (lw.qNorm != null) {                                                        // qn = qNorm(qRaw) per head
            float[] dqRaw = new float[T * qDim], dkRaw = new float[T * kvDim];
            norm.backward(dqRaw, dq, a.qRaw(), lw.qNorm, T * H, Dh);
            norm.backward(dkRaw, dk, a.kRaw(), lw.kNorm, T * Hkv, Dh);
            dq = dqRaw;
            dk = dkRaw;
        }
        float[] dxn = new float[T * D];
        if (lw.qkv != null) {                                                          // q | k | v = qkv(xn)
            LoraProjection.backward(lw.qkv, ad, a.xn(), Ops.join3(T, dq, qDim, dk, kvDim, dv, kvDim), T, dxn, pool);
        } else {
            LoraProjection.backward(lw.q, ad, a.xn(), dq, T, dxn, pool);
            LoraProjection.backward(lw.k, ad, a.xn(), dk, T, dxn, pool);
            LoraProjection.backward(lw.v, ad, a.xn(), dv, T, dxn, pool);
        }
        norm.backward(dx, dxn, in, lw.attnNorm, T, D);                                 // xn = attnNorm(in)
    }
}
