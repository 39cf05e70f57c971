package dev.slmops.model.lora;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Which LoRA adapter each row of a batch runs under, for {@link LoraProjection}: in inference one adapter (or none)
 * per sequence, unmerged; in training one adapter over every row, with the gradient buffer its backward fills and
 * PEFT's dropout on the adapter's input.
 *
 * <p>Training's dropout mask is drawn from (step seed, module index), so the backward, and a forward recomputed
 * under gradient checkpointing, see the same mask without storing it.
 */
public final class RowAdapters {
    private final int[] runStart;         // [runs + 1] row ranges; null: one run over all rows
    private final LoraAdapter[] adapters; // [runs] (null entries: the base model)
    private final float[] grads;          // training: d loss / d adapter.values(), same layout; else null
    private final float dropout;
    private final Map<String, Integer> moduleIndex;
    private long stepSeed;
    private boolean training;

    private RowAdapters(int[] runStart, LoraAdapter[] adapters, float[] grads, float dropout) {
        this.runStart = runStart;
        this.adapters = adapters;
        this.grads = grads;
        this.dropout = dropout;
        this.moduleIndex = new HashMap<>();
        if (grads != null) for (String m : adapters[0].modules().keySet()) moduleIndex.put(m, moduleIndex.size());
    }

    /**
     * Inference: sequence s (rows [seqStart[s], seqStart[s+1])) runs under adapters[s] (null: none). Returns null
     * when no sequence has an adapter, so the projections skip the LoRA half outright.
     */
    public static RowAdapters perSequence(int[] seqStart, LoraAdapter[] adapters) {
        int runs = 0;
        boolean any = false;
        for (int s = 0; s < adapters.length; s++) {
            any |= adapters[s] != null;
            if (s == 0 || adapters[s] != adapters[s - 1]) runs++;
        }
        if (!any) return null;
        int[] start = new int[runs + 1];
        LoraAdapter[] runAdapter = new LoraAdapter[runs];
        int k = -1;
        for (int s = 0; s < adapters.length; s++) { // neighbouring sequences under one adapter: one run
            if (s == 0 || adapters[s] != adapters[s - 1]) {
                start[++k] = seqStart[s];
                runAdapter[k] = adapters[s];
            }
        }
        start[runs] = seqStart[adapters.length];
        return new RowAdapters(start, runAdapter, null, 0);
    }

    /** Every row under one adapter (null: returns null, the base model). */
    public static RowAdapters all(LoraAdapter adapter) {
        return adapter == null ? null : new RowAdapters(null, new LoraAdapter[] {adapter}, null, 0);
    }

    /**
     * Training: every row under {@code adapter}, its gradients accumulating into {@code grads} (the layout of
     * {@link LoraAdapter#values()}), dropout p on the adapter's input while {@link #training(boolean)} is on.
     */
    public static RowAdapters training(LoraAdapter adapter, float[] grads, float dropout) {
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        if (adapter.values() == null || grads.length != adapter.values().length) {
            throw new IllegalArgumentException("a trained adapter needs one flat buffer and a gradient buffer of its length");
        }
        RowAdapters a = new RowAdapters(null, new LoraAdapter[] {adapter}, grads, dropout);
        a.training = true;
        return a;
    }

    /** Sets the seed of the dropout masks of the next forward/backward (one per training step and micro-batch). */
    public void stepSeed(long seed) {
        this.stepSeed = seed;
    }

    /** Dropout applies while training only (evaluation sees the whole input). */
    public void training(boolean on) {
        this.training = on;
    }

    int runs() {
        return adapters.length;
    }

    int runStart(int run) {
        return runStart == null ? 0 : runStart[run];
    }

    int runEnd(int run, int rows) {
        return runStart == null ? rows : runStart[run + 1];
    }

    LoraAdapter adapter(int run) {
        return adapters[run];
    }

    float[] grads() {
        return grads;
    }

    /** The dropout multipliers [rows * in] of module {@code module}: 0 with probability p, else 1/(1-p); null when none. */
    float[] mask(String module, int rows, int in) {
        if (dropout == 0 || !training) return null;
        float[] m = new float[rows * in];
        SplittableRandom rnd = new SplittableRandom(stepSeed * 0x9E3779B97F4A7C15L + moduleIndex.get(module));
        float keep = 1f / (1f - dropout);
        for (int i = 0; i < m.length; i++) m[i] = rnd.nextFloat() < dropout ? 0f : keep;
        return m;
    }
}
