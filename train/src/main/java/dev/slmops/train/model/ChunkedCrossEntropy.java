package dev.slmops.train.model;

import dev.slmops.tensor.matmul.VectorPath;
import dev.slmops.tensor.ops.VectorMath;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import dev.slmops.train.Loss;
import dev.slmops.model.layers.Projection;

/**
 * The output projection, optional final soft-cap and cross-entropy, fused and run a chunk of rows at a time, so the
 * logits of at most {@link #MAX_CHUNK_FLOATS} floats exist at once (never a full [T, V] tensor: at V = 150k a
 * 512-token sequence would need 300 MiB). Only rows that predict a target are projected at all.
 *
 * <pre>
 *   z = h W^T [n, V] ; (soft-cap: z = cap tanh(z / cap)) ; loss = sum_rows logsumexp(z) - z[target]
 *   dz = softmax(z) - onehot(target) ; (soft-cap: dz *= 1 - (z / cap)^2) ; dh = dz W ; dW += dz^T h
 * </pre>
 */
final class ChunkedCrossEntropy {
    private ChunkedCrossEntropy() {
    }

    /** Logits held at once: 8M floats (32 MiB; 170 rows of a 49k vocabulary, 55 of a 152k one). */
    static final int MAX_CHUNK_FLOATS = 1 << 23;

    /**
     * @param h      [T, D] final hidden states (after the output norm)
     * @param target [T] the token row t predicts, or -1 where row t has no target
     * @param dh     [T, D] gradient out (+=), or null for a forward only
     * @return the summed loss over rows with a target
     */
    static Loss forwardBackward(float[] h, int[] target, Projection output, float softcap, float[] dh, WorkerPool pool) {
        int D = output.in(), V = output.out();
        int n = 0;
        for (int t : target) if (t >= 0) n++;
        int[] rowOf = new int[n];
        for (int r = 0, i = 0; r < target.length; r++) if (target[r] >= 0) rowOf[i++] = r;
        int chunk = Math.max(1, Math.min(n, MAX_CHUNK_FLOATS / V));
        double sum = 0;
        float[] hc = new float[chunk * D], z = new float[chunk * V], dhc = dh == null ? null : new float[chunk * D];
        for (int i0 = 0; i0 < n; i0 += chunk) {
            int rows = Math.min(chunk, n - i0);
            for (int i = 0; i < rows; i++) System.arraycopy(h, rowOf[i0 + i] * D, hc, i * D, D);
            output.forward(hc, rows, z, pool);
            double[] chunkLoss = new double[rows];
            final int first = i0;
            pool.parallelFor(rows, i -> chunkLoss[i] = rowLossAndGrad(z, i * V, V, target[rowOf[first + i]], softcap, dh != null));
            for (double l : chunkLoss) sum += l;
            if (dh == null) continue;
            java.util.Arrays.fill(dhc, 0, rows * D, 0f);
            output.backward(hc, z, rows, dhc, pool);
            for (int i = 0; i < rows; i++) {
                int o = rowOf[i0 + i] * D;
                for (int d = 0; d < D; d++) dh[o + d] += dhc[i * D + d];
            }
        }
        return new Loss(sum, n);
    }

    private static final VectorSpecies<Float> F = VectorPath.F;

    /**
     * One row: soft-caps z in place, returns -log softmax(z)[target], and (when grad) replaces z by dz. The sum of
     * exponentials runs in float lanes (Vector API EXP) and is totalled in double; {@link #rowLossReference} is the
     * double-precision twin.
     */
    static double rowLossAndGrad(float[] z, int off, int V, int target, float softcap, boolean grad) {
        if (softcap > 0) for (int j = 0; j < V; j++) z[off + j] = (float) (softcap * Math.tanh(z[off + j] / softcap));
        int j = 0, n = V - V % F.length();
        FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; j < n; j += F.length()) mv = mv.max(FloatVector.fromArray(F, z, off + j));
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; j < V; j++) max = Math.max(max, z[off + j]);
        if (grad && softcap == 0) return lossAndGradOneExp(z, off, V, target, max);
        FloatVector sv = FloatVector.zero(F);
        for (j = 0; j < n; j += F.length()) {
            sv = sv.add(VectorMath.exp(FloatVector.fromArray(F, z, off + j).sub(max)));
        }
        double s = VectorMath.sum(sv);
        for (; j < V; j++) s += Math.exp(z[off + j] - max);
        double lse = max + Math.log(s);
        double loss = lse - z[off + target];
        if (grad) {
            float targetZ = z[off + target];
            float lsef = (float) lse;
            for (j = 0; j < n; j += F.length()) {           // dz = softmax(z) (- 1 at the target, below)
                FloatVector zv = FloatVector.fromArray(F, z, off + j);
                FloatVector p = VectorMath.exp(zv.sub(lsef));
                if (softcap > 0) {
                    FloatVector r = zv.div(softcap);
                    p = p.mul(r.mul(r).neg().add(1f));
                }
                p.intoArray(z, off + j);
            }
            for (; j < V; j++) {
                double zj = z[off + j], dz = Math.exp(zj - lse);
                if (softcap > 0) dz *= 1 - (zj / softcap) * (zj / softcap);
                z[off + j] = (float) dz;
            }
            double dt = Math.exp(targetZ - lse) - 1;
            if (softcap > 0) dt *= 1 - (targetZ / softcap) * (targetZ / softcap);
            z[off + target] = (float) dt;
        }
        return loss;
    }

    /**
     * {@link #rowLossAndGrad} with a gradient and no soft-cap, one exponential per logit: e = exp(z - max) is kept in
     * z while summing, then dz = e / sum (- 1 at the target). Sums as there: float lanes, totalled in double.
     */
    private static double lossAndGradOneExp(float[] z, int off, int V, int target, float max) {
        float targetZ = z[off + target];
        int j = 0, n = V - V % F.length();
        FloatVector sv = FloatVector.zero(F);
        for (; j < n; j += F.length()) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, z, off + j).sub(max));
            e.intoArray(z, off + j);
            sv = sv.add(e);
        }
        double s = VectorMath.sum(sv);
        for (; j < V; j++) {
            float e = (float) Math.exp(z[off + j] - max);
            z[off + j] = e;
            s += e;
        }
        double lse = max + Math.log(s);
        float inv = (float) (1 / s);
        for (j = 0; j < n; j += F.length()) FloatVector.fromArray(F, z, off + j).mul(inv).intoArray(z, off + j);
        for (; j < V; j++) z[off + j] *= inv;
        z[off + target] = (float) (Math.exp(targetZ - lse) - 1);
        return lse - targetZ;
    }

    /** Naive oracle of {@link #rowLossAndGrad}'s loss (after any soft-cap), in double. */
    static double rowLossReference(float[] z, int off, int V, int target) {
        double max = Double.NEGATIVE_INFINITY, s = 0;
        for (int j = 0; j < V; j++) max = Math.max(max, z[off + j]);
        for (int j = 0; j < V; j++) s += Math.exp(z[off + j] - max);
        return max + Math.log(s) - z[off + target];
    }
}
