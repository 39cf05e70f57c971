package dev.slmops.testkit.llama;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.slmops.testkit.llama.LlamaNative.BATCH;
import static dev.slmops.testkit.llama.LlamaNative.CONTEXT_PARAMS;
import static dev.slmops.testkit.llama.LlamaNative.setAddress;
import static dev.slmops.testkit.llama.LlamaNative.setBool;
import static dev.slmops.testkit.llama.LlamaNative.setInt;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * What llama-server's continuous batching does per step, through llama.cpp's C API: {@code nSeq} sequences in one
 * context ({@code n_seq_max = nSeq}, a unified KV cache), each step one {@code llama_decode} whose batch holds one
 * new token per sequence (or a sequence's whole prompt), then a greedy pick from each sequence's logits row.
 * The load benchmark's peer for the server's decode loop (no HTTP on this side).
 *
 * <p>Sequences run in rounds: all start together, generate {@code tokens} each, and the cache is cleared for the
 * next round (the C API bound here has no per-sequence removal); in steady state that is the same work per step
 * as llama-server with {@code --parallel nSeq} and every slot busy.
 */
public final class LlamaParallelDecode implements AutoCloseable {
    private final LlamaCpp.Model model;
    private final LlamaNative n;
    private final int nSeq;
    private final int vocab;
    private MemorySegment ctx;

    /** @param perSeqCtx positions each sequence may use (prompt + generated) */
    public LlamaParallelDecode(LlamaCpp.Model model, int nSeq, int perSeqCtx, int threads) {
        this.model = model;
        this.n = LlamaCpp.lib();
        this.nSeq = nSeq;
        this.vocab = model.nVocab();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = LlamaCpp.contextDefaultParams(n, arena);
            setInt(p, CONTEXT_PARAMS, "n_ctx", nSeq * perSeqCtx);
            setInt(p, CONTEXT_PARAMS, "n_batch", Math.max(512, nSeq));
            setInt(p, CONTEXT_PARAMS, "n_ubatch", 512);
            setInt(p, CONTEXT_PARAMS, "n_seq_max", nSeq);
            setInt(p, CONTEXT_PARAMS, "n_threads", threads);
            setInt(p, CONTEXT_PARAMS, "n_threads_batch", threads);
            setBool(p, CONTEXT_PARAMS, "kv_unified", true);
            setBool(p, CONTEXT_PARAMS, "no_perf", true);
            ctx = (MemorySegment) n.initFromModel.invokeExact(model.handle(), p);
            if (ctx.equals(MemorySegment.NULL)) throw new IllegalStateException("llama_init_from_model failed");
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    /** Clears the cache: the next call starts every sequence at position 0. */
    public void clear() {
        try {
            MemorySegment mem = (MemorySegment) n.getMemory.invokeExact(ctx);
            n.memoryClear.invokeExact(mem, (byte) 1);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * One llama_decode: row i is token {@code tokens[i]} of sequence {@code seq[i]} at position {@code pos[i]};
     * rows with {@code output[i]} get logits. Returns the greedy next token of each output row, in row order.
     */
    public int[] step(int[] tokens, int[] seq, int[] pos, boolean[] output) {
        int count = tokens.length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tok = arena.allocateFrom(JAVA_INT, tokens);
            MemorySegment p = arena.allocateFrom(JAVA_INT, pos);
            MemorySegment nSeqId = arena.allocate(JAVA_INT, count);
            MemorySegment seqIds = arena.allocate(ADDRESS, count);
            MemorySegment logits = arena.allocate(JAVA_BYTE, count);
            int outputs = 0;
            for (int i = 0; i < count; i++) {
                nSeqId.setAtIndex(JAVA_INT, i, 1);
                seqIds.setAtIndex(ADDRESS, i, arena.allocateFrom(JAVA_INT, seq[i]));
                logits.set(JAVA_BYTE, i, (byte) (output[i] ? 1 : 0));
                if (output[i]) outputs++;
            }
            MemorySegment batch = arena.allocate(BATCH);
            setInt(batch, BATCH, "n_tokens", count);
            setAddress(batch, BATCH, "token", tok);
            setAddress(batch, BATCH, "embd", MemorySegment.NULL);
            setAddress(batch, BATCH, "pos", p);
            setAddress(batch, BATCH, "n_seq_id", nSeqId);
            setAddress(batch, BATCH, "seq_id", seqIds);
            setAddress(batch, BATCH, "logits", logits);
            int rc = (int) n.decode.invokeExact(ctx, batch);
            if (rc != 0) throw new IllegalStateException("llama_decode returned " + rc);
            int[] next = new int[outputs];
            int o = 0;
            for (int i = 0; i < count; i++) {
                if (!output[i]) continue;
                MemorySegment row = ((MemorySegment) n.getLogitsIth.invokeExact(ctx, i))
                        .reinterpret((long) vocab * Float.BYTES);
                int best = 0;
                float bestV = row.getAtIndex(JAVA_FLOAT, 0);
                for (int v = 1; v < vocab; v++) {
                    float x = row.getAtIndex(JAVA_FLOAT, v);
                    if (x > bestV) {
                        bestV = x;
                        best = v;
                    }
                }
                next[o++] = best;
            }
            return next;
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    /**
     * One round: every sequence prefills {@code prompt} (one decode with all prompts), then {@code tokens} decode
     * steps of nSeq rows each. Returns the tokens generated (nSeq * tokens).
     */
    public long round(int[] prompt, int tokens) {
        clear();
        int rows = nSeq * prompt.length;
        int[] tok = new int[rows], seq = new int[rows], pos = new int[rows];
        boolean[] out = new boolean[rows];
        for (int s = 0, r = 0; s < nSeq; s++) {
            for (int i = 0; i < prompt.length; i++, r++) {
                tok[r] = prompt[i];
                seq[r] = s;
                pos[r] = i;
                out[r] = i == prompt.length - 1;
            }
        }
        int[] next = prefill(tok, seq, pos, out);
        int[] seqs = new int[nSeq], p = new int[nSeq];
        boolean[] all = new boolean[nSeq];
        for (int s = 0; s < nSeq; s++) {
            seqs[s] = s;
            all[s] = true;
        }
        for (int t = 1; t < tokens; t++) {
            for (int s = 0; s < nSeq; s++) p[s] = prompt.length + t - 1;
            next = step(next, seqs, p, all);
        }
        return (long) nSeq * tokens;
    }

    /** The prompts in batches of at most 512 rows (n_batch); returns the last row's pick of each sequence. */
    private int[] prefill(int[] tok, int[] seq, int[] pos, boolean[] out) {
        int[] next = new int[nSeq];
        int done = 0;
        for (int from = 0; from < tok.length; from += 512) {
            int to = Math.min(tok.length, from + 512);
            int[] picks = step(java.util.Arrays.copyOfRange(tok, from, to), java.util.Arrays.copyOfRange(seq, from, to),
                    java.util.Arrays.copyOfRange(pos, from, to), java.util.Arrays.copyOfRange(out, from, to));
            for (int pick : picks) next[done++] = pick;
        }
        return next;
    }

    @Override
    public void close() {
        if (ctx == null) return;
        try {
            n.free.invokeExact(ctx);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            ctx = null;
        }
    }
}
