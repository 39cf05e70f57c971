package dev.slmops.workflows.eval;

import dev.slmops.model.engine.KvCache;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.engine.Transformer.SequenceInput;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy decoding of several prompts at once: one forward pass prefills every prompt of the batch, then each step
 * advances every unfinished sequence by one token in a single forward pass (the weights are read once per step for
 * the whole batch instead of once per sequence). A sequence ends at an EOS token or after maxTokens tokens.
 *
 * <p>The reference is {@link dev.slmops.model.generate.Generator} with {@code SamplingParams.greedy}, one prompt at a
 * time; {@code TaskAccuracyTest} checks both give the same answers. Argmax ties go to the lowest id, as there.
 */
final class BatchedGreedy {
    private final Transformer model;
    private final Tokenizer tok;

    BatchedGreedy(Transformer model, Tokenizer tok) {
        this.model = model;
        this.tok = tok;
    }

    /** The generated ids of each prompt (EOS excluded), in prompt order. */
    int[][] generate(List<int[]> prompts, int maxTokens, LoraAdapter adapter) {
        int n = prompts.size(), V = model.config().vocabSize();
        KvCache[] caches = new KvCache[n];
        int[][] out = new int[n][maxTokens];
        int[] count = new int[n];
        boolean[] done = new boolean[n];
        List<SequenceInput> inputs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] p = prompts.get(i);
            if (p.length == 0) throw new IllegalArgumentException("prompt " + i + " is empty: nothing to continue");
            caches[i] = new KvCache(model.config(), p.length + maxTokens);
            inputs.add(new SequenceInput(caches[i], p, false, adapter));
        }
        int[] rowOf = new int[n]; // inputs.get(j) belongs to prompt rowOf[j]
        for (int i = 0; i < n; i++) rowOf[i] = i;
        int active = n;
        float[][] logits = maxTokens > 0 ? model.forward(inputs) : new float[0][]; // [n_active][1 * V]
        while (active > 0 && maxTokens > 0) {
            List<SequenceInput> next = new ArrayList<>(active);
            int[] nextRow = new int[active];
            for (int j = 0; j < logits.length; j++) {
                int i = rowOf[j];
                int token = argmax(logits[j], V);
                if (tok.specials().isEos(token)) {
                    done[i] = true;
                    continue;
                }
                out[i][count[i]++] = token;
                if (count[i] == maxTokens) {
                    done[i] = true;
                    continue;
                }
                nextRow[next.size()] = i;
                next.add(new SequenceInput(caches[i], new int[] {token}, false, adapter));
            }
            active = next.size();
            if (active == 0) break;
            rowOf = Arrays.copyOf(nextRow, active);
            logits = model.forward(next);
        }
        int[][] result = new int[n][];
        for (int i = 0; i < n; i++) result[i] = Arrays.copyOf(out[i], count[i]);
        return result;
    }

    /** The largest logit's id; ties to the lowest id (as Sampler's greedy path). */
    static int argmax(float[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
