package dev.slmops.train.loop;

import dev.slmops.train.Example;
import dev.slmops.train.Loss;
import dev.slmops.train.Parameters;
import dev.slmops.train.Trainable;

import java.util.List;
import java.util.Random;

/**
 * A test Trainable with analytic gradients: next-token logits = W[prev] + b (W [V,V] with weight decay, b [V]
 * without), softmax cross-entropy. Optional "target dropout" drops each target with probability {@code dropout},
 * drawn from a generator whose state checkpoints save ({@link RandomState}), so resume tests cover model randomness.
 */
final class BigramModel implements Trainable, RandomState {
    final int vocab;
    private final Parameters params;
    private final double dropout;
    private long rng; // xorshift64 state

    BigramModel(int vocab, long seed, double dropout) {
        this.vocab = vocab;
        this.dropout = dropout;
        this.rng = seed | 1;
        int n = vocab * vocab + vocab;
        float[] values = new float[n];
        Random r = new Random(seed);
        for (int i = 0; i < vocab * vocab; i++) values[i] = (float) (r.nextGaussian() * 0.1);
        params = new Parameters(values, new float[n], List.of(
                new Parameters.Entry("W", new int[]{vocab, vocab}, 0, vocab * vocab, true),
                new Parameters.Entry("b", new int[]{vocab}, vocab * vocab, vocab, false)));
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public Loss forwardBackward(List<Example> batch) {
        return run(batch, true);
    }

    @Override
    public Loss evaluate(List<Example> batch) {
        return run(batch, false);
    }

    private Loss run(List<Example> batch, boolean backward) {
        float[] w = params.values(), g = params.grads();
        int bOff = vocab * vocab;
        double sum = 0;
        long tokens = 0;
        float[] p = new float[vocab];
        for (Example e : batch) {
            for (int t = 1; t < e.tokens().length; t++) {
                if (!e.lossOn()[t]) continue;
                if (backward && dropout > 0 && nextDouble() < dropout) continue;
                int prev = e.tokens()[t - 1], target = e.tokens()[t];
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < vocab; j++) {
                    p[j] = w[prev * vocab + j] + w[bOff + j];
                    max = Math.max(max, p[j]);
                }
                double z = 0;
                for (int j = 0; j < vocab; j++) z += Math.exp(p[j] - max);
                sum += -(p[target] - max - Math.log(z));
                tokens++;
                if (!backward) continue;
                for (int j = 0; j < vocab; j++) {
                    float d = (float) (Math.exp(p[j] - max) / z) - (j == target ? 1f : 0f); // dlogit = softmax - onehot
                    g[prev * vocab + j] += d;
                    g[bOff + j] += d;
                }
            }
        }
        return new Loss(sum, tokens);
    }

    private double nextDouble() {
        rng ^= rng << 13;
        rng ^= rng >>> 7;
        rng ^= rng << 17;
        return (rng >>> 11) * 0x1.0p-53;
    }

    @Override
    public long[] randomState() {
        return new long[]{rng};
    }

    @Override
    public void restoreRandomState(long[] state) {
        rng = state[0];
    }

    /** Sequences of a chain where token t is followed by (a*t + c) mod V with probability 0.9, else a random token. */
    static List<Example> chain(int vocab, int count, int length, int a, int c, long seed) {
        Random r = new Random(seed);
        List<Example> out = new java.util.ArrayList<>();
        for (int k = 0; k < count; k++) {
            int[] tokens = new int[length];
            boolean[] on = new boolean[length];
            tokens[0] = r.nextInt(vocab);
            for (int t = 1; t < length; t++) {
                tokens[t] = r.nextDouble() < 0.9 ? (a * tokens[t - 1] + c) % vocab : r.nextInt(vocab);
                on[t] = true;
            }
            out.add(new Example(tokens, on));
        }
        return out;
    }
}
