package dev.slmops.train.model;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.engine.RopeTable;
import dev.slmops.tensor.ops.Activations;
import dev.slmops.tensor.ops.Attention;
import dev.slmops.tensor.ops.AttentionBackward;
import dev.slmops.tensor.ops.RmsNorm;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.train.Example;
import dev.slmops.train.Loss;
import dev.slmops.train.nn.Vec;

import java.util.List;

/**
 * Training forward and backward of every supported architecture over a batch of whole sequences (no KV cache).
 *
 * <p>It is the engine's {@code Transformer} line for line — the same {@link ModelConfig} switches (fused Phi-3
 * projections, Qwen2 biases, q/k norms, Gemma's (1 + w) and sandwich norms, embedding scale, sliding/global layers,
 * partial rotary, llama3/LongRoPE through the engine's {@link RopeTable}, soft-caps, tied output) and the same
 * tensor ops ({@link RmsNorm}, {@link Attention}, {@link Activations}) — with every step's backward beside it.
 * Why not one class for both: inference runs chunks against a KV cache with repacked (possibly quantized) weights
 * and reused buffers; training runs whole sequences over weights that change every step and keeps activations.
 * What is shared is everything numeric: the ops, the RoPE tables and the config.
 *
 * <p>The batch's sequences are concatenated into T rows: projections run over all rows at once, attention per
 * sequence. Legend: T rows, D hidden, F feed-forward, H/Hkv heads, Dh head dim, V vocab.
 *
 * <p>Gradient checkpointing keeps only each layer's input [T, D] and recomputes the layer's activations during the
 * backward; without it every layer's activations are kept from the forward.
 */
public final class TrainingTransformer {
    private final ModelConfig c;
    private final TrainWeights w;
    private final WorkerPool pool;
    private final RopeTable ropeGlobal, ropeLocal;
    private final Attention.Params attnGlobal, attnSliding;
    private final float eps;
    private boolean checkpointing;

    /**
     * @param contextInUse as the engine's: LongRoPE uses its long factors when this exceeds the trained context
     */
    public TrainingTransformer(ModelConfig c, TrainWeights w, int contextInUse, WorkerPool pool) {
        this.c = c;
        this.w = w;
        this.pool = pool;
        boolean longFactors = c.ropeScaling() != null && c.ropeScaling().type().equals("longrope")
                && contextInUse > c.ropeScaling().originalContext();
        this.ropeGlobal = new RopeTable(c.ropeDims(), c.ropeTheta(), c.ropeScaling(), longFactors);
        this.ropeLocal = new RopeTable(c.ropeDims(), c.ropeLocalTheta(), null, false);
        this.attnGlobal = new Attention.Params(c.numHeads(), c.numKvHeads(), c.headDim(), c.attentionScale(), 0,
                c.attnSoftcap());
        this.attnSliding = new Attention.Params(c.numHeads(), c.numKvHeads(), c.headDim(), c.attentionScale(),
                c.slidingWindow(), c.attnSoftcap());
        this.eps = (float) c.rmsNormEps();
    }

    public ModelConfig config() {
        return c;
    }

    public void gradientCheckpointing(boolean on) {
        this.checkpointing = on;
    }

    /** The batch as rows: tokens, each row's position in its sequence, and sequence boundaries. */
    private record Rows(int[] tokens, int[] pos, int[] segStart, int[] target) {
        int count() {
            return tokens.length;
        }
    }

    private Rows rows(List<Example> batch) {
        int n = 0;
        for (Example e : batch) {
            if (e.tokens().length == 0) throw new IllegalArgumentException("a training example needs at least one token");
            n += e.tokens().length;
        }
        int[] tokens = new int[n], pos = new int[n], target = new int[n], seg = new int[batch.size() + 1];
        int r = 0;
        for (int s = 0; s < batch.size(); s++) {
            Example e = batch.get(s);
            seg[s] = r;
            for (int i = 0; i < e.tokens().length; i++, r++) {
                int t = e.tokens()[i];
                if (t < 0 || t >= c.vocabSize()) {
                    throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + c.vocabSize() + ")");
                }
                tokens[r] = t;
                pos[r] = i;
                // row r predicts the next token of its sequence when that token is a target
                target[r] = i + 1 < e.tokens().length && e.lossOn()[i + 1] ? e.tokens()[i + 1] : -1;
            }
        }
        seg[batch.size()] = n;
        return new Rows(tokens, pos, seg, target);
    }

    /** Forward only: the summed loss. */
    public Loss evaluate(List<Example> batch) {
        Rows rows = rows(batch);
        float[] x = embed(rows);
        for (int l = 0; l < c.numLayers(); l++) x = forwardLayer(l, x, rows).out;
        float[] h = new float[x.length];
        norm(h, x, w.outputNorm, rows.count(), c.hiddenSize());
        return ChunkedCrossEntropy.forwardBackward(h, rows.target(), w.output, c.finalSoftcap(), null, pool);
    }

    /** Forward and backward: gradients of the summed loss accumulate into the weights' gradient buffers. */
    public Loss forwardBackward(List<Example> batch) {
        Rows rows = rows(batch);
        int T = rows.count(), D = c.hiddenSize(), L = c.numLayers();
        float[][] layerInput = new float[L][];
        LayerActs[] acts = new LayerActs[L];
        float[] x = embed(rows);
        for (int l = 0; l < L; l++) {
            layerInput[l] = x;
            LayerActs a = forwardLayer(l, x, rows);
            if (!checkpointing) acts[l] = a;
            x = a.out;
        }
        // --- output: h = norm(x); loss = CE(h W_out^T)
        float[] h = new float[T * D], dh = new float[T * D];
        norm(h, x, w.outputNorm, T, D);
        Loss loss = ChunkedCrossEntropy.forwardBackward(h, rows.target(), w.output, c.finalSoftcap(), dh, pool);
        float[] dx = new float[T * D];
        normBackward(dx, dh, x, w.outputNorm, T, D);
        // --- layers in reverse; dx is d loss / d (layer output), then / d (layer input)
        for (int l = L - 1; l >= 0; l--) {
            LayerActs a = acts[l] != null ? acts[l] : forwardLayer(l, layerInput[l], rows);
            acts[l] = null;
            backwardLayer(l, a, rows, dx);
        }
        w.embedding.backward(rows.tokens(), dx);
        return loss;
    }

    private float[] embed(Rows rows) {
        float[] x = new float[rows.count() * c.hiddenSize()];
        w.embedding.forward(rows.tokens(), x);
        return x;
    }

    /** What one layer's backward reads, named after the forward lines that produced them. All [T, .] row-major. */
    private static final class LayerActs {
        float[] in;           // [T, D]   layer input
        float[] xn1;          // [T, D]   attnNorm(in)
        float[] qRaw, kRaw;   // [T, H*Dh], [T, Hkv*Dh]  projections before q/k norm (null without q/k norms)
        float[] q, k, v;      // after q/k norm and RoPE (what attention read)
        float[] att;          // [T, H*Dh] attention output
        float[] oRaw;         // [T, D]   o(att), before the post-attention norm (Gemma 3)
        float[] mid;          // [T, D]   in + attention branch
        float[] xn2;          // [T, D]   ffnNorm(mid)
        float[] gate, up;     // [T, F]   before the activation
        float[] act;          // [T, F]   act(gate) * up
        float[] mRaw;         // [T, D]   down(act), before the post-MLP norm (Gemma 3)
        float[] out;          // [T, D]   mid + MLP branch
    }

    private LayerActs forwardLayer(int l, float[] in, Rows rows) {
        TrainWeights.Layer lw = w.layers[l];
        int T = rows.count(), D = c.hiddenSize(), F = c.intermediateSize(), H = c.numHeads(), Hkv = c.numKvHeads();
        int Dh = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim();
        boolean sliding = c.isSliding(l);
        RopeTable rope = sliding ? ropeLocal : ropeGlobal;
        LayerActs a = new LayerActs();
        a.in = in;

        // --- attention: mid = in + [postAttnNorm](o(attention(rope(qk-norm(q, k)), v)))
        a.xn1 = new float[T * D];
        norm(a.xn1, in, lw.attnNorm, T, D);
        float[] q = new float[T * qDim], k = new float[T * kvDim], v = new float[T * kvDim];
        if (lw.qkv != null) {
            float[] fused = new float[T * (qDim + 2 * kvDim)];
            lw.qkv.forward(a.xn1, T, fused, pool);
            split(fused, T, new float[][] {q, k, v}, new int[] {qDim, kvDim, kvDim});
        } else {
            lw.q.forward(a.xn1, T, q, pool);
            lw.k.forward(a.xn1, T, k, pool);
            lw.v.forward(a.xn1, T, v, pool);
        }
        if (lw.qNorm != null) {
            a.qRaw = q.clone();
            a.kRaw = k.clone();
            norm(q, a.qRaw, lw.qNorm, T * H, Dh);
            norm(k, a.kRaw, lw.kNorm, T * Hkv, Dh);
        }
        for (int t = 0; t < T; t++) {
            rope.apply(q, t * qDim, H, Dh, rows.pos()[t]);
            rope.apply(k, t * kvDim, Hkv, Dh, rows.pos()[t]);
        }
        a.q = q;
        a.k = k;
        a.v = v;
        a.att = new float[T * qDim];
        Attention.Params ap = sliding ? attnSliding : attnGlobal;
        for (int s = 0; s + 1 < rows.segStart().length; s++) { // rows as positions: only differences matter
            int r0 = rows.segStart()[s], r1 = rows.segStart()[s + 1];
            Attention.attend(ap, q, r0 * qDim, r1 - r0, r0, k, v, r0, r1, a.att, r0 * qDim, pool);
        }
        float[] o = new float[T * D];
        lw.o.forward(a.att, T, o, pool);
        if (lw.postAttnNorm != null) {
            a.oRaw = o;
            o = new float[T * D];
            norm(o, a.oRaw, lw.postAttnNorm, T, D);
        }
        a.mid = in.clone();
        Activations.addInPlace(a.mid, 0, o, 0, T * D);

        // --- MLP: out = mid + [postFfnNorm](down(act(gate(xn2)) * up(xn2)))
        a.xn2 = new float[T * D];
        norm(a.xn2, a.mid, lw.ffnNorm, T, D);
        a.gate = new float[T * F];
        a.up = new float[T * F];
        if (lw.gateUp != null) {
            float[] fused = new float[T * 2 * F];
            lw.gateUp.forward(a.xn2, T, fused, pool);
            split(fused, T, new float[][] {a.gate, a.up}, new int[] {F, F});
        } else {
            lw.gate.forward(a.xn2, T, a.gate, pool);
            lw.up.forward(a.xn2, T, a.up, pool);
        }
        a.act = a.gate.clone();
        if (c.activation() == ModelConfig.Activation.SILU) Activations.swiglu(a.act, 0, a.up, 0, T * F);
        else Activations.geglu(a.act, 0, a.up, 0, T * F);
        float[] m = new float[T * D];
        lw.down.forward(a.act, T, m, pool);
        if (lw.postFfnNorm != null) {
            a.mRaw = m;
            m = new float[T * D];
            norm(m, a.mRaw, lw.postFfnNorm, T, D);
        }
        a.out = a.mid.clone();
        Activations.addInPlace(a.out, 0, m, 0, T * D);
        return a;
    }

    /** On entry dx = d loss / d out [T, D]; on return d loss / d in. Parameter gradients accumulate. */
    private void backwardLayer(int l, LayerActs a, Rows rows, float[] dx) {
        TrainWeights.Layer lw = w.layers[l];
        int T = rows.count(), D = c.hiddenSize(), F = c.intermediateSize(), H = c.numHeads(), Hkv = c.numKvHeads();
        int Dh = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim();
        boolean sliding = c.isSliding(l);
        RopeTable rope = sliding ? ropeLocal : ropeGlobal;

        // --- MLP. out = mid + m: dmid = dx (kept in dx), dm = dx
        float[] dm = dx;
        if (lw.postFfnNorm != null) { // m = postFfnNorm(mRaw)
            dm = new float[T * D];
            normBackward(dm, dx, a.mRaw, lw.postFfnNorm, T, D);
        }
        float[] dAct = new float[T * F];
        lw.down.backward(a.act, dm, T, dAct, pool);                       // m = down(act)
        float[] dGate = new float[T * F], dUp = new float[T * F];
        Activations.gatedBackward(c.activation() == ModelConfig.Activation.GELU_TANH, dGate, dUp, 0, dAct, 0,
                a.gate, a.up, 0, T * F);                                     // act = act(gate) * up
        float[] dxn2 = new float[T * D];
        if (lw.gateUp != null) {
            float[] dFused = join(T, new float[][] {dGate, dUp}, new int[] {F, F});
            float[] fusedIn = a.xn2;
            lw.gateUp.backward(fusedIn, dFused, T, dxn2, pool);
        } else {
            lw.gate.backward(a.xn2, dGate, T, dxn2, pool);
            lw.up.backward(a.xn2, dUp, T, dxn2, pool);
        }
        normBackward(dx, dxn2, a.mid, lw.ffnNorm, T, D);                     // xn2 = ffnNorm(mid); dx is now dmid

        // --- attention. mid = in + o: din = dmid (kept in dx), do = dmid
        float[] dO = dx;
        if (lw.postAttnNorm != null) {
            dO = new float[T * D];
            normBackward(dO, dx, a.oRaw, lw.postAttnNorm, T, D);
        }
        float[] dAtt = new float[T * qDim];
        lw.o.backward(a.att, dO, T, dAtt, pool);
        float[] dq = new float[T * qDim], dk = new float[T * kvDim], dv = new float[T * kvDim];
        Attention.Params ap = sliding ? attnSliding : attnGlobal;
        for (int s = 0; s + 1 < rows.segStart().length; s++) {
            AttentionBackward.backward(ap, rows.segStart()[s], rows.segStart()[s + 1], a.q, a.k, a.v, dAtt,
                    dq, dk, dv, pool);
        }
        for (int t = 0; t < T; t++) {                                        // q = rope(qn): dqn = rope^-1(dq)
            rope.applyBackward(dq, t * qDim, H, Dh, rows.pos()[t]);
            rope.applyBackward(dk, t * kvDim, Hkv, Dh, rows.pos()[t]);
        }
        if (lw.qNorm != null) {                                              // qn = qNorm(qRaw) per head
            float[] dqRaw = new float[T * qDim], dkRaw = new float[T * kvDim];
            normBackward(dqRaw, dq, a.qRaw, lw.qNorm, T * H, Dh);
            normBackward(dkRaw, dk, a.kRaw, lw.kNorm, T * Hkv, Dh);
            dq = dqRaw;
            dk = dkRaw;
        }
        float[] dxn1 = new float[T * D];
        if (lw.qkv != null) {
            lw.qkv.backward(a.xn1, join(T, new float[][] {dq, dk, dv}, new int[] {qDim, kvDim, kvDim}), T, dxn1, pool);
        } else {
            lw.q.backward(a.xn1, dq, T, dxn1, pool);
            lw.k.backward(a.xn1, dk, T, dxn1, pool);
            lw.v.backward(a.xn1, dv, T, dxn1, pool);
        }
        normBackward(dx, dxn1, a.in, lw.attnNorm, T, D);                     // xn1 = attnNorm(in); dx is now din
    }

    /** RMSNorm of rows of n floats (n = D, or Dh per head). */
    private void norm(float[] out, float[] x, Vec weight, int rows, int n) {
        float[] wv = weight.copy();
        for (int r = 0; r < rows; r++) RmsNorm.apply(out, r * n, x, r * n, wv, n, eps, c.normPlusOne());
    }

    /** dx += d norm / d x applied to dy; the weight's gradient accumulates when trainable. */
    private void normBackward(float[] dx, float[] dy, float[] x, Vec weight, int rows, int n) {
        float[] wv = weight.copy();
        float[] dw = weight.grads();
        for (int r = 0; r < rows; r++) {
            RmsNorm.backward(dx, r * n, dw, weight.off(), dy, r * n, x, r * n, wv, n, eps, c.normPlusOne());
        }
    }

    /** Rows of [a | b | ...] into separate row-major arrays of the given widths. */
    private static void split(float[] src, int rows, float[][] parts, int[] widths) {
        int w = 0;
        for (int x : widths) w += x;
        for (int r = 0; r < rows; r++) {
            int o = r * w;
            for (int p = 0; p < parts.length; p++) {
                System.arraycopy(src, o, parts[p], r * widths[p], widths[p]);
                o += widths[p];
            }
        }
    }

    /** The inverse of {@link #split}: the gradient of a fused projection's output. */
    private static float[] join(int rows, float[][] parts, int[] widths) {
        int w = 0;
        for (int x : widths) w += x;
        float[] dst = new float[rows * w];
        for (int r = 0; r < rows; r++) {
            int o = r * w;
            for (int p = 0; p < parts.length; p++) {
                System.arraycopy(parts[p], r * widths[p], dst, o, widths[p]);
                o += widths[p];
            }
        }
        return dst;
    }
}
