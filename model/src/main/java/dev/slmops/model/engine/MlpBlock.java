package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.layers.RmsNormLayer;
import dev.slmops.model.lora.LoraProjection;
import dev.slmops.model.lora.RowAdapters;
import dev.slmops.tensor.ops.Activations;
import dev.slmops.tensor.parallel.WorkerPool;

/**
 * The MLP branch of a layer, forward and backward side by side (SwiGLU, or GeGLU with tanh-GELU for Gemma; split
 * gate/up or Phi-3's fused gate_up; Gemma 3's post-MLP norm):
 * <pre>
 *   xn = ffnNorm(in); act = act(gate(xn)) * up(xn); m = [postFfnNorm](down(act))
 * </pre>
 * The caller adds m to the residual. Legend: T rows, D hidden, F feed-forward.
 */
final class MlpBlock {
    private final ModelConfig c;
    private final RmsNormLayer norm;
    private final WorkerPool pool;

    /**
     * What one forward wrote and the backward reads, all [T, .] row-major. Kept per layer in training; in inference
     * one set serves every layer and works in place (act == gate, m == mRaw).
     *
     * @param xn    [T, D] ffnNorm(in)
     * @param gate  [T, F] gate(xn), before the activation
     * @param up    [T, F] up(xn)
     * @param act   [T, F] act(gate) * up
     * @param fused [T, 2F] a reusable buffer for Phi-3's fused gate_up output, or null (allocated per call)
     * @param mRaw  [T, D] down(act), before the post-MLP norm
     * @param m     [T, D] the branch output (== mRaw without a post-MLP norm)
     */
    record Acts(float[] xn, float[] gate, float[] up, float[] act, float[] fused, float[] mRaw, float[] m) {
        /** Fresh arrays for T rows, each activation backward reads in its own array. */
        static Acts kept(ModelConfig c, int T) {
            int D = c.hiddenSize(), F = c.intermediateSize();
            float[] mRaw = new float[T * D];
            return new Acts(new float[T * D], new float[T * F], new float[T * F], new float[T * F], null, mRaw,
                    c.sandwichNorms() ? new float[T * D] : mRaw);
        }

        /** Inference buffers for up to T rows, working in place; xn, the output and fused are shared with attention's. */
        static Acts scratch(ModelConfig c, int T, float[] xn, float[] out, float[] fused) {
            int F = c.intermediateSize();
            float[] gate = new float[T * F];
            return new Acts(xn, gate, new float[T * F], gate, fused, out, out);
        }
    }

    /** Floats per task of the element-wise activation passes (a multiple of every vector length). */
    private static final int CHUNK = 1 << 14;

    /** An element-wise pass over [off, off + n). */
    private interface Range {
        void run(int off, int n);
    }

    /**
     * Runs an element-wise pass over [0, total) in fixed chunks spread over the pool (the same bits as one pass: no
     * element depends on another), so the other threads do not idle through the [T, F] activation passes.
     */
    private void inChunks(int total, Range pass) {
        pool.parallelFor((total + CHUNK - 1) / CHUNK, i -> {
            int off = i * CHUNK;
            pass.run(off, Math.min(CHUNK, total - off));
        });
    }

    MlpBlock(ModelConfig c, WorkerPool pool) {
        this.c = c;
        this.pool = pool;
        this.norm = new RmsNormLayer((float) c.rmsNormEps(), c.normPlusOne(), pool);
    }

    /**
     * The branch over in [T, D] (the residual after attention), written into {@code a}'s buffers, which it returns:
     * a.m() is the branch output, the rest is what {@link #backward} reads.
     */
    Acts forward(int l, ModelWeights.Layer lw, Batch b, float[] in, Acts a) {
        final int T = b.rows(), D = c.hiddenSize(), F = c.intermediateSize();
        RowAdapters ad = b.adapters();
        Transformer.MatmulInputObserver obs = b.observer();

        norm.forward(a.xn(), in, lw.ffnNorm, T, D);                                    // xn = ffnNorm(in)
        if (obs != null) obs.seen(l, Transformer.MatmulInput.FFN_IN, a.xn(), T, D);
        if (lw.gateUp != null) {                                                       // gate | up = gateUp(xn)
            float[] fused = a.fused() != null ? a.fused() : new float[T * 2 * F];
            LoraProjection.forward(lw.gateUp, ad, a.xn(), T, fused, pool);
            Ops.split2(fused, T, a.gate(), a.up(), F);
        } else {                                                                       // gate, up = gate(xn), up(xn)
            Linear.forwardAll(lw.gateAndUp, a.xn(), T, new float[][] {a.gate(), a.up()}, pool);
            LoraProjection.addDeltas(lw.gate, ad, a.xn(), T, a.gate(), pool);
            LoraProjection.addDeltas(lw.up, ad, a.xn(), T, a.up(), pool);
        }
        if (a.act() != a.gate()) System.arraycopy(a.gate(), 0, a.act(), 0, T * F);
        boolean silu = c.activation() == ModelConfig.Activation.SILU;
        inChunks(T * F, (o, n) -> {                                                   // act = act(gate) * up
            if (silu) Activations.swiglu(a.act(), o, a.up(), o, n);
            else Activations.geglu(a.act(), o, a.up(), o, n);
        });
        if (obs != null) obs.seen(l, Transformer.MatmulInput.FFN_DOWN_IN, a.act(), T, F);
        if (a.act() == a.gate()) {                                                     // mRaw = down(act)
            LoraProjection.forwardOverwritingInput(lw.down, ad, a.act(), T, a.mRaw(), pool); // inference: act is scratch
        } else {
            LoraProjection.forward(lw.down, ad, a.act(), T, a.mRaw(), pool);            // training keeps act
        }
        if (lw.postFfnNorm != null) norm.forward(a.m(), a.mRaw(), lw.postFfnNorm, T, D); // m = postFfnNorm(mRaw)
        return a;
    }

    /**
     * On entry dx [T, D] = d loss / d (branch output) (the residual's gradient, d loss / d out); the branch's share of
     * d loss / d in is added to it. Parameter gradients accumulate.
     */
    void backward(ModelWeights.Layer lw, Batch b, float[] in, Acts a, float[] dx) {
        final int T = b.rows(), D = c.hiddenSize(), F = c.intermediateSize();
        RowAdapters ad = b.adapters();

        float[] dm = dx;
        if (lw.postFfnNorm != null) {                                                  // m = postFfnNorm(mRaw)
            dm = new float[T * D];
            norm.backward(dm, dx, a.mRaw(), lw.postFfnNorm, T, D);
        }
        float[] dAct = new float[T * F];
        LoraProjection.backward(lw.down, ad, a.act(), dm, T, dAct, pool);             // mRaw = down(act)
        float[] dGate = new float[T * F], dUp = new float[T * F];
        boolean gelu = c.activation() == ModelConfig.Activation.GELU_TANH;
        inChunks(T * F, (o, n) -> Activations.gatedBackward(gelu, dGate, dUp, o, dAct, o, a.gate(), a.up(), o, n)); // act = act(gate) * up
        float[] dxn = new float[T * D];
        if (lw.gateUp != null) {                                                       // gate | up = gateUp(xn)
            LoraProjection.backward(lw.gateUp, ad, a.xn(), Ops.join2(T, dGate, dUp, F), T, dxn, pool);
        } else {
            LoraProjection.backward(lw.gate, ad, a.xn(), dGate, T, dxn, pool);
            LoraProjection.backward(lw.up, ad, a.xn(), dUp, T, dxn, pool);
        }
        norm.backward(dx, dxn, in, lw.ffnNorm, T, D);                                  // xn = ffnNorm(in)
    }
}
