package dev.slmops.model.lora;

import dev.slmops.model.layers.Projection;
import dev.slmops.tensor.parallel.WorkerPool;

/**
 * The one LoRA-aware matmul every projection of the model goes through, in inference and in training alike:
 * <pre>
 *   y = x W^T + b  +  scale * (dropout(x) A^T) B^T      (the adapter's half only on rows whose adapter has this module)
 *   x [T, in]  W [out, in]  A [r, in]  B [out, r]  y [T, out]
 * </pre>
 * The base product is the {@link Projection}'s own (any weight kind); the low-rank half is {@link LoraMatmul}'s.
 * The backward gives dx (base and adapter paths), the base's trainable gradients and the adapter's.
 */
public final class LoraProjection {
    private LoraProjection() {
    }

    /** y[T, out] = base(x) + each row run's adapter delta (adapters null: the base alone). */
    public static void forward(Projection base, RowAdapters adapters, float[] x, int rows, float[] y, WorkerPool pool) {
        base.forward(x, rows, y, pool);
        addDeltas(base, adapters, x, rows, y, pool);
    }

    /**
     * {@link #forward} for a caller that no longer needs x: without an adapter delta to read it afterwards, the base
     * may overwrite it ({@link Projection#forwardOverwritingInput}); with one, x stays as it is for the delta.
     */
    public static void forwardOverwritingInput(Projection base, RowAdapters adapters, float[] x, int rows, float[] y,
                                               WorkerPool pool) {
        if (hasDeltas(base, adapters)) forward(base, adapters, x, rows, y, pool);
        else base.forwardOverwritingInput(x, rows, y, pool);
    }

    /** Whether {@link #addDeltas} adds anything for base (some row run's adapter has its module). */
    private static boolean hasDeltas(Projection base, RowAdapters adapters) {
        if (adapters == null) return false;
        for (int run = 0; run < adapters.runs(); run++) {
            LoraAdapter a = adapters.adapter(run);
            if (a != null && a.module(base.name()) != null) return true;
        }
        return false;
    }

    /** The LoRA half alone: y[T, out] += each row run's adapter delta for module base.name() (after a base product run elsewhere). */
    public static void addDeltas(Projection base, RowAdapters adapters, float[] x, int rows, float[] y, WorkerPool pool) {
        if (adapters == null) return;
        for (int run = 0; run < adapters.runs(); run++) {
            LoraAdapter a = adapters.adapter(run);
            LoraWeights w = a == null ? null : a.module(base.name());
            if (w == null) continue;
            int r0 = adapters.runStart(run), r1 = adapters.runEnd(run, rows);
            float[] mask = adapters.mask(base.name(), r1 - r0, base.in());
            if (mask == null) {
                LoraMatmul.addDelta(w, x, r0 * base.in(), r1 - r0, y, r0 * base.out(), pool);
            } else {
                LoraMatmul.addDelta(w, dropped(x, r0 * base.in(), mask), 0, r1 - r0, y, r0 * base.out(), pool);
            }
        }
    }

    /**
     * Given the forward's input x and dy = d loss / d y: dx += dy W + the adapter path (dx null: neither), the base's
     * trainable gradients and the adapter's (when the run carries a gradient buffer) accumulate.
     */
    public static void backward(Projection base, RowAdapters adapters, float[] x, float[] dy, int rows, float[] dx,
                                WorkerPool pool) {
        base.backward(x, dy, rows, dx, pool);
        if (adapters == null) return;
        for (int run = 0; run < adapters.runs(); run++) {
            LoraAdapter a = adapters.adapter(run);
            LoraWeights w = a == null ? null : a.module(base.name());
            if (w == null) continue;
            int r0 = adapters.runStart(run), r1 = adapters.runEnd(run, rows), in = base.in(), out = base.out();
            if (r0 != 0 || r1 != rows) {
                throw new UnsupportedOperationException("LoRA backward runs over one adapter on every row of the batch");
            }
            float[] mask = adapters.mask(base.name(), rows, in);
            if (mask == null) {
                LoraMatmul.backward(w, adapters.grads(), x, dy, rows, dx, pool);
            } else {                                                     // x' = dropout(x): dx += mask * dx'
                float[] dxd = dx == null ? null : new float[rows * in];
                LoraMatmul.backward(w, adapters.grads(), dropped(x, 0, mask), dy, rows, dxd, pool);
                if (dx != null) for (int i = 0; i < dxd.length; i++) dx[i] += dxd[i] * mask[i];
            }
        }
    }

    /** x[off ..] * mask, [mask.length]. */
    private static float[] dropped(float[] x, int off, float[] mask) {
        float[] xd = new float[mask.length];
        for (int i = 0; i < xd.length; i++) xd[i] = x[off + i] * mask[i];
        return xd;
    }
}
