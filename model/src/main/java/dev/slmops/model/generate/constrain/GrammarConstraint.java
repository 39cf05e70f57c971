package dev.slmops.model.generate.constrain;

import java.util.Arrays;

/**
 * A {@link TokenConstraint} from a grammar: each step walks the sorted vocabulary with the recognizer (see
 * {@link TokenVocabulary}) and bans every token whose bytes would leave the set of valid prefixes.
 * {@link #allowedNaive} is the reference: every token checked on its own.
 */
public final class GrammarConstraint implements TokenConstraint {
    private final TokenVocabulary vocab;
    private Recognizer.State state;
    private final Recognizer.State[] prefixStates; // [max token bytes + 1] state after each prefix of the token
    private final boolean[] allowed;               // [V] scratch of the last mask
    private boolean ended;                         // an end-of-generation token was accepted

    GrammarConstraint(Recognizer recognizer, TokenVocabulary vocab) {
        this.vocab = vocab;
        this.state = recognizer.start();
        this.prefixStates = new Recognizer.State[vocab.maxTokenBytes() + 1];
        this.allowed = new boolean[vocab.vocabSize];
    }

    @Override
    public int mask(float[] logits, int off) {
        int n = allowed(allowed);
        for (int id = 0; id < vocab.vocabSize; id++) if (!allowed[id]) logits[off + id] = Float.NEGATIVE_INFINITY;
        return n;
    }

    /** Fills {@code out[V]} with which tokens may come next; returns how many. */
    int allowed(boolean[] out) {
        Arrays.fill(out, 0, vocab.vocabSize, false);
        if (ended) return 0;
        int n = 0;
        if (state.isComplete()) for (int e : vocab.eosIds) if (e < vocab.vocabSize) { out[e] = true; n++; }
        if (!state.canContinue()) return n;
        int room = state.plainStringRoom();
        if (room >= 0) { // inside a plain string: safe tokens that fit go in unwalked, the rest are walked
            for (int i = 0; i < vocab.plainIds.length; i++) {
                if (vocab.plainChars[i] <= room) {
                    out[vocab.plainIds[i]] = true;
                    n++;
                }
            }
            return n + walk(vocab.otherOrder, vocab.otherOffsets, vocab.otherBytes, vocab.otherLcp, out);
        }
        return n + walk(vocab.order, vocab.offsets, vocab.bytes, vocab.lcp, out);
    }

    /** Marks the tokens of a sorted list whose bytes continue the state; returns how many. */
    private int walk(int[] order, int[] offsets, byte[] bytes, int[] lcp, boolean[] out) {
        int n = 0;
        prefixStates[0] = state;
        int dead = Integer.MAX_VALUE; // a prefix of this many bytes (of the previous token) has no valid state
        for (int i = 0; i < order.length; i++) {
            int shared = lcp[i];
            if (shared >= dead) continue;        // starts with the dead prefix
            dead = Integer.MAX_VALUE;
            int from = offsets[i], len = offsets[i + 1] - from;
            Recognizer.State s = prefixStates[shared];
            int d = shared;
            for (; d < len; d++) {
                s = s.advance(bytes[from + d] & 0xFF);
                if (s == null) break;
                prefixStates[d + 1] = s;
            }
            if (d < len) {
                dead = d + 1;
                continue;
            }
            out[order[i]] = true;
            n++;
        }
        return n;
    }

    /** Reference for {@link #allowed}: each token's bytes run through the recognizer from scratch. */
    int allowedNaive(boolean[] out) {
        Arrays.fill(out, 0, vocab.vocabSize, false);
        if (ended) return 0;
        int n = 0;
        for (int id = 0; id < vocab.vocabSize; id++) {
            boolean ok;
            if (vocab.isEos(id)) ok = state.isComplete();
            else {
                byte[] b = vocab.bytesOf(id);
                ok = b != null && state.advance(b) != null;
            }
            out[id] = ok;
            if (ok) n++;
        }
        return n;
    }

    @Override
    public void accept(int token) {
        if (ended) throw new IllegalStateException("the constrained output already ended");
        if (vocab.isEos(token)) {
            if (!state.isComplete()) throw new IllegalArgumentException("end of generation before the output is complete");
            ended = true;
            return;
        }
        byte[] b = vocab.bytesOf(token);
        Recognizer.State next = b == null ? null : state.advance(b);
        if (next == null) throw new IllegalArgumentException("token " + token + " does not continue a valid output");
        state = next;
    }

    /** Advances over literal text the caller wrote itself (e.g. a prefix forced into the prompt). */
    public void acceptText(byte[] utf8) {
        Recognizer.State next = state.advance(utf8);
        if (next == null) throw new IllegalArgumentException("the text does not continue a valid output");
        state = next;
    }

    @Override
    public boolean isComplete() {
        return ended || state.isComplete();
    }

    @Override
    public boolean canContinue() {
        return !ended && state.canContinue();
    }
}
