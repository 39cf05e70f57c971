package dev.slmops.model.lora;

import dev.slmops.tensor.matmul.Gemm;
import dev.slmops.tensor.ops.VectorMath;
import dev.slmops.tensor.matmul.VectorPath;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;

/**
 * The low-rank half of every LoRA-aware projection, {@code y += scale * B (A x)} without forming B·A, and its
 * backward: the one LoRA kernel of inference (per-sequence adapters, unmerged) and training.
 *
 * <pre>
 *   x [T, in]   A [r, in]   u = x A^T [T, r]   B [out, r]   y [T, out] += (scale u) B^T
 *   backward:   dB += dy^T (scale u)   du = scale dy B [T, r]   dA += du^T x   dx += du A
 * </pre>
 *
 * Costs 2·r·(in+out) multiply-adds per row against in·out for the base product (r=16, in=out=576: 6%). Few rows
 * (decode) run as row-by-row dot products ({@link #down}, {@link #up}); from {@link #GEMM_MIN_ROWS} rows (prefill,
 * training) both halves run as GEMMs. The dot halves have scalar twins ({@code downScalar}, {@code upScalar}: the
 * reference, also run when {@link VectorPath#ENABLED} is off), and {@link #deltaWeight} is the naive dense oracle.
 */
public final class LoraMatmul {
    private LoraMatmul() {
    }

    /**
     * Below this many multiply-adds a call stays on the calling thread: ~256 Ki take tens of µs on one core, about
     * what waking the pool costs, and a decode step's deltas (r=16: 20-40 Ki each) are all below it.
     */
    private static final long PARALLEL_MIN_WORK = 1 << 18;

    /** From this many rows a product runs as two GEMMs (which pay a packing step that a few rows do not repay). */
    static final int GEMM_MIN_ROWS = 16;

    /** y[rows, out] (at yOff) += scale * B (A x) for x[rows, in] at xOff; on the pool's threads when worth it. */
    public static void addDelta(LoraWeights w, float[] x, int xOff, int rows, float[] y, int yOff, WorkerPool pool) {
        if (pool != null && rows >= GEMM_MIN_ROWS) {
            float[] u = downGemm(w, x, xOff, rows, pool);
            Gemm.abT(rows, w.out(), w.r(), u, 0, w.r(), w.b(), w.bOffset(), w.r(), y, yOff, w.out(), true, pool); // y += u B^T
            return;
        }
        int r = w.r();
        float[] u = new float[rows * r];
        long work = (long) rows * r * (w.in() + w.out());
        int tasks = pool == null || work < PARALLEL_MIN_WORK ? 1 : Math.min(pool.threads() * 4, Math.max(1, w.out() / 16));
        if (tasks == 1) {
            down(w, x, xOff, rows, u, 0);
            up(w, u, 0, rows, y, yOff, 0, w.out());
            return;
        }
        // down: tasks over the (row, rank) pairs; up: tasks over output ranges (every row each)
        int pairs = rows * r;
        int downTasks = Math.min(tasks, pairs);
        pool.parallelFor(downTasks, k -> {
            int p0 = (int) ((long) pairs * k / downTasks), p1 = (int) ((long) pairs * (k + 1) / downTasks);
            for (int p = p0; p < p1; p++) u[p] = dot(w.a(), w.aOffset() + (p % r) * w.in(), x, xOff + (p / r) * w.in(), w.in());
        });
        int out = w.out();
        pool.parallelFor(tasks, k -> up(w, u, 0, rows, y, yOff, (int) ((long) out * k / tasks), (int) ((long) out * (k + 1) / tasks)));
    }

    /** u[rows, r] = scale * x[rows, in] A^T, as a GEMM. */
    private static float[] downGemm(LoraWeights w, float[] x, int xOff, int rows, WorkerPool pool) {
        int r = w.r(), in = w.in();
        float[] u = new float[rows * r];
        Gemm.abT(rows, r, in, x, xOff, in, w.a(), w.aOffset(), in, u, 0, r, false, pool); // u = x A^T   [T, r]
        float scale = w.scale();
        for (int i = 0; i < u.length; i++) u[i] *= scale;
        return u;
    }

    /**
     * The backward of {@link #addDelta} for x[rows, in] and dy[rows, out] (both from offset 0): the adapter's
     * gradients accumulate into {@code grads} at the adapter's own offsets (dA at {@code w.aOffset()}, dB at
     * {@code w.bOffset()}: grads has the layout of the buffer holding A and B; null: a frozen adapter), and
     * dx[rows, in] += du A when dx is not null. u is recomputed (r floats a row) rather than kept from the forward.
     */
    public static void backward(LoraWeights w, float[] grads, float[] x, float[] dy, int rows, float[] dx, WorkerPool pool) {
        int r = w.r(), in = w.in(), out = w.out();
        if (grads != null) {
            float[] u = downGemm(w, x, 0, rows, pool);                                               // scale u (recomputed)
            // dB += dy^T (scale u), as its transpose dB^T [r, out] = (scale u)^T dy: the GEMM then transposes u
            // [T, r] rather than dy [T, out], and has out/NR column panels instead of one of r columns
            float[] dBt = new float[r * out];
            Gemm.aTb(r, out, rows, u, 0, r, dy, 0, out, dBt, 0, out, false, pool);
            int bo = w.bOffset();
            for (int o = 0; o < out; o++) {
                for (int j = 0; j < r; j++) grads[bo + o * r + j] += dBt[j * out + o];
            }
        }
        float[] du = new float[rows * r];
        Gemm.ab(rows, r, out, dy, 0, out, w.b(), w.bOffset(), r, du, 0, r, false, pool);            // du = scale dy B [T, r]
        float scale = w.scale();
        for (int i = 0; i < du.length; i++) du[i] *= scale;
        if (grads != null) Gemm.aTb(r, in, rows, du, 0, r, x, 0, in, grads, w.aOffset(), in, true, pool); // dA += du^T x
        if (dx != null) Gemm.ab(rows, in, r, du, 0, r, w.a(), w.aOffset(), in, dx, 0, in, true, pool);     // dx += du A
    }

    /** The same on the calling thread. */
    public static void addDelta(LoraWeights w, float[] x, int xOff, int rows, float[] y, int yOff) {
        addDelta(w, x, xOff, rows, y, yOff, null);
    }

    /** u[rows, r] (at uOff) = x[rows, in] A^T. */
    public static void down(LoraWeights w, float[] x, int xOff, int rows, float[] u, int uOff) {
        if (!VectorPath.ENABLED) {
            downScalar(w, x, xOff, rows, u, uOff);
            return;
        }
        int r = w.r(), in = w.in();
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < r; j++) u[uOff + t * r + j] = dot(w.a(), w.aOffset() + j * in, x, xOff + t * in, in);
        }
    }

    /** y[rows, out] (at yOff) += scale * u[rows, r] B^T. */
    public static void up(LoraWeights w, float[] u, int uOff, int rows, float[] y, int yOff) {
        up(w, u, uOff, rows, y, yOff, 0, w.out());
    }

    /** {@link #up} for outputs [o0, o1) only. */
    static void up(LoraWeights w, float[] u, int uOff, int rows, float[] y, int yOff, int o0, int o1) {
        if (!VectorPath.ENABLED) {
            upScalar(w, u, uOff, rows, y, yOff, o0, o1);
            return;
        }
        int r = w.r(), out = w.out();
        float[] b = w.b();
        float[] su = new float[r];
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < r; j++) su[j] = w.scale() * u[uOff + t * r + j];
            int yo = yOff + t * out;
            for (int o = o0; o < o1; o++) y[yo + o] += dot(b, w.bOffset() + o * r, su, 0, r);
        }
    }

    /** sum_i a[ao + i] * b[bo + i], i < n: vector body, scalar tail. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int L = VectorPath.L, i = 0;
        float s = 0;
        if (VectorPath.ENABLED && n >= L) {
            FloatVector acc = FloatVector.zero(VectorPath.F);
            for (; i + L <= n; i += L) {
                acc = FloatVector.fromArray(VectorPath.F, a, ao + i).fma(FloatVector.fromArray(VectorPath.F, b, bo + i), acc);
            }
            s = VectorMath.sum(acc);
        }
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** The scalar reference of {@link #down}. */
    static void downScalar(LoraWeights w, float[] x, int xOff, int rows, float[] u, int uOff) {
        int r = w.r(), in = w.in();
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < r; j++) {
                float s = 0;
                for (int i = 0; i < in; i++) s += w.a()[w.aOffset() + j * in + i] * x[xOff + t * in + i];
                u[uOff + t * r + j] = s;
            }
        }
    }

    /** The scalar reference of {@link #up}. */
    static void upScalar(LoraWeights w, float[] u, int uOff, int rows, float[] y, int yOff, int o0, int o1) {
        int r = w.r(), out = w.out();
        for (int t = 0; t < rows; t++) {
            for (int o = o0; o < o1; o++) {
                float s = 0;
                for (int j = 0; j < r; j++) s += w.b()[w.bOffset() + o * r + j] * (w.scale() * u[uOff + t * r + j]);
                y[yOff + t * out + o] += s;
            }
        }
    }

    /** The naive oracle: the dense delta W = scale * B·A, [out, in], in double. */
    public static double[] deltaWeight(LoraWeights w) {
        int r = w.r(), in = w.in(), out = w.out();
        double[] d = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int j = 0; j < r; j++) s += (double) w.b()[w.bOffset() + o * r + j] * w.a()[w.aOffset() + j * in + i];
                d[o * in + i] = w.scale() * s;
            }
        }
        return d;
    }
}
