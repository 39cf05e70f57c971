package dev.slmops.train.optim;

import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.train.Parameters;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;

/**
 * AdamW over the flat buffers of {@link Parameters}, the same arithmetic as {@code torch.optim.AdamW} (PyTorch 1.13,
 * single-tensor path): decoupled weight decay first, then the moment updates and a bias-corrected step.
 *
 * <pre>
 *   p   -= lr * wd * p                  (only entries with decay = true)
 *   m    = beta1 * m + (1 - beta1) * g
 *   v    = beta2 * v + (1 - beta2) * g * g
 *   p   -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * The moments {@code m, v} share the parameters' layout, so the update is one flat loop per entry. The vector path
 * and {@link #stepReference} do the same float operations in the same order, so they agree bit for bit.
 */
public final class AdamW {
    /** Hyper-parameters; the learning rate comes with each {@link #step} (the schedule owns it). */
    public record Config(double beta1, double beta2, double eps, double weightDecay) {
        public Config {
            if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("adam beta1 must be in [0, 1), got " + beta1);
            if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("adam beta2 must be in [0, 1), got " + beta2);
            if (!(eps > 0)) throw new IllegalArgumentException("adam epsilon must be > 0, got " + eps);
            if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }

        /** torch.optim.AdamW's defaults except weight decay, which HF TrainingArguments sets to 0. */
        public static Config defaults() {
            return new Config(0.9, 0.999, 1e-8, 0.0);
        }
    }

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Turns the Vector API path off (for debugging and for the equality test). */
    static boolean vectorized = true;

    private final Config config;
    private final float[] m; // [P] first moment
    private final float[] v; // [P] second moment
    private long step;       // optimizer steps taken so far (t in the formulas)

    public AdamW(Config config, int size) {
        this(config, new float[size], new float[size], 0);
    }

    /** An optimizer resumed from saved moments (a checkpoint). */
    public AdamW(Config config, float[] m, float[] v, long step) {
        if (m.length != v.length) throw new IllegalArgumentException("adam moments differ in length: " + m.length + " vs " + v.length);
        if (step < 0) throw new IllegalArgumentException("adam step must be >= 0, got " + step);
        this.config = config;
        this.m = m;
        this.v = v;
        this.step = step;
    }

    public Config config() {
        return config;
    }

    /** [P] first moments (exp_avg). */
    public float[] firstMoment() {
        return m;
    }

    /** [P] second moments (exp_avg_sq). */
    public float[] secondMoment() {
        return v;
    }

    public long steps() {
        return step;
    }

    /** One update of {@code params.values()} from {@code params.grads()} at learning rate {@code lr}. */
    public void step(Parameters params, double lr) {
        step(params, lr, null);
    }

    /**
     * The same update spread over {@code pool}'s threads (null: the calling thread only) in chunks of
     * {@value #CHUNK} values. Every value goes through the same float operations either way, so the result does
     * not depend on the thread count.
     */
    public void step(Parameters params, double lr, WorkerPool pool) {
        checkSize(params);
        step++;
        float[] p = params.values(), g = params.grads();
        List<Range> chunks = new ArrayList<>();
        List<Scalars> scalars = new ArrayList<>();
        for (Range r : ranges(params)) {
            Scalars s = scalars(lr, r.decay);
            for (int off = r.offset; off < r.offset + r.length; off += CHUNK) {
                chunks.add(new Range(off, Math.min(CHUNK, r.offset + r.length - off), r.decay));
                scalars.add(s);
            }
        }
        java.util.function.IntConsumer task = i -> {
            Range c = chunks.get(i);
            if (vectorized) update(p, g, c.offset, c.length, scalars.get(i));
            else updateReference(p, g, c.offset, c.length, scalars.get(i));
        };
        if (pool == null) for (int i = 0; i < chunks.size(); i++) task.accept(i);
        else pool.parallelFor(chunks.size(), task);
    }

    /** Values per parallel task (256 KiB of each of the four arrays). */
    static final int CHUNK = 1 << 16;

    /** The same update, scalar only: the documentation of the algorithm and the oracle of the vector path. */
    public void stepReference(Parameters params, double lr) {
        checkSize(params);
        step++;
        for (Range r : ranges(params)) {
            updateReference(params.values(), params.grads(), r.offset, r.length, scalars(lr, r.decay));
        }
    }

    private void checkSize(Parameters params) {
        if (params.size() != m.length) {
            throw new IllegalArgumentException("optimizer state holds " + m.length + " values but the model has "
                    + params.size() + " parameters: the checkpoint belongs to another model or method");
        }
    }

    /** Per-step scalars, computed in double like PyTorch's Python-side bias corrections, used as float. */
    private record Scalars(float decayFactor, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                           float stepSize, float biasCorrection2Sqrt, float eps) {
    }

    private Scalars scalars(double lr, boolean decay) {
        double bc1 = 1 - Math.pow(config.beta1, step);
        double bc2 = 1 - Math.pow(config.beta2, step);
        return new Scalars(
                (float) (1 - lr * (decay ? config.weightDecay : 0)),
                (float) config.beta1, (float) (1 - config.beta1),
                (float) config.beta2, (float) (1 - config.beta2),
                (float) (lr / bc1), (float) Math.sqrt(bc2), (float) config.eps);
    }

    private void updateReference(float[] p, float[] g, int off, int len, Scalars s) {
        for (int i = off; i < off + len; i++) {
            p[i] = p[i] * s.decayFactor;
            m[i] = m[i] * s.beta1 + g[i] * s.oneMinusBeta1;
            v[i] = v[i] * s.beta2 + s.oneMinusBeta2 * g[i] * g[i]; // addcmul: value * t1 * t2
            float denom = (float) Math.sqrt(v[i]) / s.biasCorrection2Sqrt + s.eps;
            p[i] = p[i] + -s.stepSize * (m[i] / denom);
        }
    }

    private void update(float[] p, float[] g, int off, int len, Scalars s) {
        int end = off + len;
        int i = off;
        int vecEnd = off + S.loopBound(len);
        for (; i < vecEnd; i += S.length()) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            FloatVector pv = FloatVector.fromArray(S, p, i).mul(s.decayFactor);
            FloatVector mv = FloatVector.fromArray(S, m, i).mul(s.beta1).add(gv.mul(s.oneMinusBeta1));
            FloatVector vv = FloatVector.fromArray(S, v, i).mul(s.beta2).add(gv.mul(s.oneMinusBeta2).mul(gv));
            FloatVector denom = vv.lanewise(VectorOperators.SQRT).div(s.biasCorrection2Sqrt).add(s.eps);
            pv = pv.add(mv.div(denom).mul(-s.stepSize));
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            pv.intoArray(p, i);
        }
        if (i < end) updateReference(p, g, i, end - i, s);
    }

    private record Range(int offset, int length, boolean decay) {
    }

    /** The entries as ranges; a Parameters without entries is one range with decay. */
    private static List<Range> ranges(Parameters params) {
        if (params.entries().isEmpty()) return List.of(new Range(0, params.size(), true));
        return params.entries().stream().map(e -> new Range(e.offset(), e.length(), e.decay())).toList();
    }
}
