package dev.slmops.train.data;

import dev.slmops.train.Example;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fitting examples to a sequence length: truncation (keep the first seqLen tokens) or packing (concatenate examples
 * and cut into sequences of exactly seqLen tokens; the last may be shorter). In a pack, the first token of each
 * example is not a target: predicting it from the previous, unrelated example teaches nothing.
 */
public final class Packing {
    private Packing() {
    }

    /** The first seqLen tokens of the example (the example itself when it fits or seqLen <= 0). */
    public static Example truncate(Example e, int seqLen) {
        if (seqLen <= 0 || e.tokens().length <= seqLen) return e;
        return new Example(Arrays.copyOf(e.tokens(), seqLen), Arrays.copyOf(e.lossOn(), seqLen));
    }

    /** Packs examples, in order, into sequences of seqLen tokens. */
    public static List<Example> pack(List<Example> examples, int seqLen) {
        if (seqLen <= 1) throw new IllegalArgumentException("packing needs a sequence length of at least 2, got " + seqLen);
        List<Example> out = new ArrayList<>();
        int[] tokens = new int[seqLen];
        boolean[] lossOn = new boolean[seqLen];
        int fill = 0;
        for (Example e : examples) {
            for (int i = 0; i < e.tokens().length; i++) {
                tokens[fill] = e.tokens()[i];
                lossOn[fill] = i > 0 && e.lossOn()[i];
                if (++fill == seqLen) {
                    out.add(new Example(tokens.clone(), lossOn.clone()));
                    fill = 0;
                }
            }
        }
        if (fill > 1) out.add(new Example(Arrays.copyOf(tokens, fill), Arrays.copyOf(lossOn, fill)));
        return out;
    }
}
