package dev.slmops.train.nn;

import dev.slmops.tensor.matmul.Gemm;
import dev.slmops.tensor.parallel.WorkerPool;

import java.util.SplittableRandom;

/**
 * A frozen base projection plus a trainable low-rank update, as PEFT's LoRA layer:
 * <pre>
 *   y = base(x) + scale * (dropout(x) A^T) B^T      A [r, in], B [out, r], scale = alpha / r (rsLoRA: alpha / sqrt r)
 * </pre>
 * A and B live at offsets of the flat parameter buffer (their gradients at the same offsets of the gradient
 * buffer). The dropout mask is drawn from (step seed, this projection's id), so the backward, and a recomputed
 * forward under gradient checkpointing, see the same mask without storing it.
 */
public final class LoraProjection implements Projection {
    private final Projection base;
    private final int r;
    private final float scale;
    private final float dropout;
    private final long id;
    private final float[] values, grads;
    private final int aOff, bOff;
    private long stepSeed;
    private boolean training = true;

    public LoraProjection(Projection base, int r, float scale, float dropout, long id, float[] values, float[] grads,
                          int aOff, int bOff) {
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        this.base = base;
        this.r = r;
        this.scale = scale;
        this.dropout = dropout;
        this.id = id;
        this.values = values;
        this.grads = grads;
        this.aOff = aOff;
        this.bOff = bOff;
    }

    /** Sets the seed of the dropout masks of the next forward/backward (one per training step and micro-batch). */
    public void stepSeed(long seed) {
        this.stepSeed = seed;
    }

    /** Dropout applies while training only (evaluation sees the whole input). */
    public void training(boolean on) {
        this.training = on;
    }

    @Override
    public int in() {
        return base.in();
    }

    @Override
    public int out() {
        return base.out();
    }

    /** The dropout multipliers [T*in]: 0 with probability p, else 1/(1-p); null when p = 0. */
    private float[] mask(int rows) {
        if (dropout == 0 || !training) return null;
        float[] m = new float[rows * in()];
        SplittableRandom rnd = new SplittableRandom(stepSeed * 0x9E3779B97F4A7C15L + id);
        float keep = 1f / (1f - dropout);
        for (int i = 0; i < m.length; i++) m[i] = rnd.nextFloat() < dropout ? 0f : keep;
        return m;
    }

    /** dropout(x) with the given mask; x itself when there is none. */
    private static float[] dropped(float[] x, float[] mask) {
        if (mask == null) return x;
        float[] xd = new float[mask.length];
        for (int i = 0; i < xd.length; i++) xd[i] = x[i] * mask[i];
        return xd;
    }

    @Override
    public void forward(float[] x, int rows, float[] y, WorkerPool pool) {
        base.forward(x, rows, y, pool);
        int in = in(), out = out();
        float[] xd = dropped(x, mask(rows));
        float[] u = new float[rows * r];
        Gemm.abT(rows, r, in, xd, 0, in, values, aOff, in, u, 0, r, false, pool);     // u = xd A^T   [T, r]
        for (int i = 0; i < u.length; i++) u[i] *= scale;
        Gemm.abT(rows, out, r, u, 0, r, values, bOff, r, y, 0, out, true, pool);      // y += scale u B^T
    }

    @Override
    public void backward(float[] x, float[] dy, int rows, float[] dx, WorkerPool pool) {
        base.backward(x, dy, rows, dx, pool);
        int in = in(), out = out();
        float[] mask = mask(rows), xd = dropped(x, mask);
        float[] u = new float[rows * r];
        Gemm.abT(rows, r, in, xd, 0, in, values, aOff, in, u, 0, r, false, pool);     // u = xd A^T (recomputed)
        for (int i = 0; i < u.length; i++) u[i] *= scale;
        Gemm.aTb(out, r, rows, dy, 0, out, u, 0, r, grads, bOff, r, true, pool);      // dB += dy^T (scale u)
        float[] du = new float[rows * r];
        Gemm.ab(rows, r, out, dy, 0, out, values, bOff, r, du, 0, r, false, pool);    // du = scale dy B  [T, r]
        for (int i = 0; i < du.length; i++) du[i] *= scale;
        Gemm.aTb(r, in, rows, du, 0, r, xd, 0, in, grads, aOff, in, true, pool);      // dA += du^T xd
        if (dx == null) return;
        if (mask == null) {
            Gemm.ab(rows, in, r, du, 0, r, values, aOff, in, dx, 0, in, true, pool);  // dx += du A
        } else {
            float[] dxd = new float[rows * in];
            Gemm.ab(rows, in, r, du, 0, r, values, aOff, in, dxd, 0, in, false, pool); // d dropout(x) = du A
            for (int i = 0; i < dxd.length; i++) dx[i] += dxd[i] * mask[i];
        }
    }
}
