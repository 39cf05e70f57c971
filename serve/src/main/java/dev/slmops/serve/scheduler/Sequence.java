package dev.slmops.serve.scheduler;

import dev.slmops.model.engine.KvCache;
import dev.slmops.model.generate.Sampler;
import dev.slmops.model.generate.SamplingParams;
import dev.slmops.model.generate.StopMatcher;
import dev.slmops.model.generate.TokenLogprobs;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.tokenizer.StreamingDecoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence being generated: its prompt, KV cache, sampler and decoding state. Built on the request's thread
 * (so that bad sampling parameters fail there, as a 400), then owned by the decode loop until it finishes.
 * Only {@link #cancel()} may be called from another thread.
 */
public final class Sequence {
    final int[] prompt;
    final SamplingParams params;
    final boolean promptLogprobs;   // echo: score the prompt tokens too
    final SequenceEvents events;
    final TokenConstraint constraint; // null: free text
    final LoraAdapter adapter;        // null: the base model
    final Sampler sampler;
    final int[] history;            // prompt then generated tokens, for the penalties
    int historyLength;
    final long submittedNanos;

    // Decode-loop state (set when the sequence is admitted).
    KvCache cache;
    StreamingDecoder decoder;
    StopMatcher stops;
    int prefilled;                  // prompt tokens already in the cache
    int generated;
    int lastToken = -1;
    long firstTokenNanos;
    long lastTokenNanos;
    List<TokenLogprobs> promptLps;
    private volatile boolean cancelled;
    /**
     * Another choice of the same request (same prompt and adapter) whose prefill this one waits for, to copy its KV
     * cache instead of computing the prompt again; null once copied, or when this sequence prefills itself.
     */
    Sequence prefillLeader;
    boolean keepSpecialText;        // decode special tokens into the text events (tool-call markers)

    /**
     * @param prompt         token ids, at least one
     * @param params         validated sampling parameters (maxTokens already fitted to the context)
     * @param promptLogprobs also report each prompt token's log-probability
     * @param adapter        the LoRA adapter this sequence runs with (null: the base model)
     * @param vocabSize      the model's vocabulary (logit_bias ids are checked against it here)
     */
    public Sequence(int[] prompt, SamplingParams params, boolean promptLogprobs, TokenConstraint constraint,
                    LoraAdapter adapter, int vocabSize, SequenceEvents events) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty: nothing to continue");
        this.prompt = prompt.clone();
        this.params = params;
        this.promptLogprobs = promptLogprobs;
        this.constraint = constraint;
        this.adapter = adapter;
        this.events = events;
        this.sampler = new Sampler(params, vocabSize);
        this.history = Arrays.copyOf(prompt, prompt.length + params.maxTokens() + 1);
        this.historyLength = prompt.length;
        this.submittedNanos = System.nanoTime();
        if (promptLogprobs) {
            this.promptLps = new ArrayList<>(prompt.length);
            this.promptLps.add(null);
        }
    }

    /**
     * Lets this sequence take {@code leader}'s prefilled prompt (KV cache copy) instead of computing it again: the n
     * choices of one request share their prompt. Call before submitting; the leader must have the same prompt,
     * adapter and prompt scoring.
     */
    public void sharePrefillOf(Sequence leader) {
        if (!Arrays.equals(leader.prompt, prompt) || leader.adapter != adapter || leader.promptLogprobs != promptLogprobs) {
            throw new IllegalArgumentException("only a sequence with the same prompt, adapter and echo can share a prefill");
        }
        this.prefillLeader = leader;
    }

    /**
     * Decodes special tokens into the text events too (tool-call markers such as Phi-4's {@code <|tool_call|>} are
     * special tokens that plain text leaves out). Call before submitting.
     */
    public void keepSpecialTokenText() {
        this.keepSpecialText = true;
    }

    /** Stops generating at the next step (the client went away); safe from any thread. */
    public void cancel() {
        cancelled = true;
    }

    public boolean cancelled() {
        return cancelled;
    }

    boolean prefillDone() {
        return prefilled == prompt.length;
    }
}
