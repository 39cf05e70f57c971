package dev.slmops.model.generate.constrain;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** A stand-in for a model: random logits each step, masked by the constraint, argmax of what is left. */
final class ConstrainedWalk {
    private ConstrainedWalk() {
    }

    private static String quoted(ByteArrayOutputStream text) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(text.toString(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The text generated until the constraint ends it (EOS or nothing may follow), or null after maxSteps. */
    static String run(GrammarConstraint c, TokenVocabulary vocab, long seed, int maxSteps, boolean checkNaive) {
        return run(c, vocab, seed, maxSteps, checkNaive ? maxSteps : 0);
    }

    /** As above, comparing the trie walk with the naive check on the first {@code naiveSteps} steps. */
    static String run(GrammarConstraint c, TokenVocabulary vocab, long seed, int maxSteps, int naiveSteps) {
        SplittableRandom random = new SplittableRandom(seed);
        int V = vocab.vocabSize();
        float[] logits = new float[V];
        boolean[] fast = new boolean[V], naive = new boolean[V];
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        for (int step = 0; step < maxSteps; step++) {
            if (step < naiveSteps) {
                int nf = c.allowed(fast), nn = c.allowedNaive(naive);
                if (nf != nn || !java.util.Arrays.equals(fast, naive)) {
                    throw new AssertionError("trie walk and naive check disagree after " + quoted(text)
                            + ": " + nf + " vs " + nn + " allowed");
                }
            }
            for (int i = 0; i < V; i++) logits[i] = (float) random.nextDouble();
            if (c.mask(logits, 0) == 0) throw new AssertionError("no token allowed after: " + quoted(text));
            int best = 0;
            for (int i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
            if (vocab.isEos(best)) return text.toString(StandardCharsets.UTF_8);
            c.accept(best);
            text.writeBytes(vocab.bytesOf(best));
            if (c.isComplete() && !c.canContinue()) return text.toString(StandardCharsets.UTF_8);
        }
        return null;
    }
}
