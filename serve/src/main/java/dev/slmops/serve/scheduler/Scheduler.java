package dev.slmops.serve.scheduler;

import dev.slmops.model.engine.KvCache;
import dev.slmops.model.engine.KvPages;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.engine.Transformer.SequenceInput;
import dev.slmops.model.generate.Generator.FinishReason;
import dev.slmops.model.generate.StopMatcher;
import dev.slmops.model.generate.TokenLogprobs;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.serve.api.ApiError;
import dev.slmops.tensor.parallel.WorkerPool;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Continuous batching for one model: a single decode thread runs one {@link Transformer#forward(List)} per step
 * over every active sequence (each contributes its last token, or a chunk of its prompt while it is being
 * prefilled), so concurrent requests share each pass over the weights. New sequences wait in a bounded queue and
 * join between steps; a full queue refuses new work at once (429) instead of letting latency grow without bound.
 *
 * <p>Per step: rows = active decoding sequences + at most {@code prefillRowsPerStep} prompt tokens, so a long new
 * prompt delays the others' next token by one bounded chunk, not by its whole prefill.
 */
public final class Scheduler implements AutoCloseable {
    /** Prompt rows per step at most when every row's logits are kept (echo with log-probabilities). */
    static final int PROMPT_SCORING_ROWS = 32;

    private final String name;
    private final Transformer model;
    private final WorkerPool pool; // the model's compute threads, for sampling between passes (null: sample serially)
    private final Tokenizer tokenizer;
    private final int vocabSize;
    private final int contextLength;
    private final int maxBatch;
    private final int prefillRowsPerStep;
    private final StepObserver observer;
    private final ArrayBlockingQueue<Sequence> pending;
    private final KvPages kvPages; // every sequence's KV memory: pages taken as it grows, given back when it ends
    private final List<Sequence> active = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile int activeCount;
    private volatile int largestBatch;
    private volatile int mostAdaptersInOneStep; // distinct LoRA adapters in one forward call, the base counting as one
    private volatile long generatedTokens; // written by the decode thread only
    private volatile long prefilledTokens; // prompt positions computed (not copied), decode thread only

    /**
     * @param maxBatch           sequences decoded together at most
     * @param maxQueue           sequences waiting for a place at most (beyond: 429)
     * @param prefillRowsPerStep prompt tokens prefilled per step at most (bounds the others' inter-token latency)
     * @param kvType             element type of the sequences' KV caches
     */
    public Scheduler(String name, Transformer model, WorkerPool pool, Tokenizer tokenizer, int contextLength,
                     int maxBatch, int maxQueue, int prefillRowsPerStep, KvCache.Type kvType, StepObserver observer) {
        if (maxBatch < 1) throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
        if (maxQueue < 1) throw new IllegalArgumentException("queue size must be >= 1, got " + maxQueue);
        this.name = name;
        this.model = model;
        this.pool = pool;
        this.tokenizer = tokenizer;
        this.vocabSize = model.config().vocabSize();
        this.contextLength = contextLength;
        this.maxBatch = maxBatch;
        this.prefillRowsPerStep = Math.max(1, prefillRowsPerStep);
        this.observer = observer;
        this.pending = new ArrayBlockingQueue<>(maxQueue);
        // Idle pages kept for reuse: two per batch slot (a sequence of up to 512 positions finds its pages ready);
        // the pages of longer sequences go back to the garbage collector when they end.
        this.kvPages = new KvPages(model.config(), kvType, KvPages.DEFAULT_PAGE_SIZE, 2 * maxBatch);
        this.thread = Thread.ofPlatform().daemon().name("slmops-decode-" + name).start(this::loop);
    }

    /** The element type of the sequences' KV caches. */
    public KvCache.Type kvType() {
        return kvPages.type();
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int contextLength() {
        return contextLength;
    }

    /** Sequences waiting to start. */
    public int queueDepth() {
        return pending.size();
    }

    /** Sequences being prefilled or decoded. */
    public int activeSequences() {
        return activeCount;
    }

    /** Tokens sampled for all sequences since the model was loaded. */
    public long generatedTokens() {
        return generatedTokens;
    }

    /** Prompt positions run through the model so far (the n choices of a request compute their prompt once). */
    public long prefilledTokens() {
        return prefilledTokens;
    }

    /** Bytes of KV cache pages held by the active sequences now. */
    public long kvBytesInUse() {
        return kvPages.pagesInUse() * kvPages.bytesPerPage();
    }

    /** Bytes of KV cache pages held at most so far (active and idle pages together stay below this plus the idle ones). */
    public long kvBytesPeak() {
        return kvPages.peakPagesInUse() * kvPages.bytesPerPage();
    }

    /** The most sequences one forward call has carried so far (shows that batching happens). */
    public int largestBatch() {
        return largestBatch;
    }

    /** The most different adapters one forward call has carried so far, the base weights alone counting as one. */
    public int mostAdaptersInOneStep() {
        return mostAdaptersInOneStep;
    }

    /** Queues all of {@code sequences} (a request's n choices) or none: throws 429 when they do not fit. */
    public void submit(List<Sequence> sequences) {
        synchronized (pending) {
            if (!running) throw new ApiError(503, "server_error", "model_unloading", null,
                    "The model '" + name + "' is being unloaded; retry to load it again");
            if (pending.remainingCapacity() < sequences.size()) {
                throw ApiError.overloaded(pending.size() + " requests already wait for model '" + name + "'");
            }
            pending.addAll(sequences);
        }
    }

    private void loop() {
        while (running) {
            try {
                if (active.isEmpty()) {
                    Sequence first = pending.poll(200, TimeUnit.MILLISECONDS);
                    if (first == null) continue;
                    admit(first);
                }
                synchronized (pending) { // waits for a submit in progress: a request's n choices come in together
                    while (active.size() < maxBatch) {
                        Sequence next = pending.poll();
                        if (next == null) break;
                        admit(next);
                    }
                }
                activeCount = active.size();
                step();
                activeCount = active.size();
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                // A failed forward pass: the batch's sequences cannot continue, the loop can.
                ApiError err = ApiError.internal("generation failed: " + e);
                for (Sequence s : active) {
                    s.events.failed(err);
                    s.cache.truncate(0);
                }
                active.clear();
                activeCount = 0;
            }
        }
        ApiError gone = new ApiError(503, "server_error", "model_unloaded", null,
                "The model '" + name + "' was unloaded while this request ran");
        for (Sequence s : active) {
            s.events.failed(gone);
            s.cache.truncate(0);
        }
        active.clear();
        Sequence s;
        while ((s = pending.poll()) != null) s.events.failed(gone);
        activeCount = 0;
    }

    private void admit(Sequence s) {
        // The cache may reach prompt + max_tokens (validated against the context); its pages come as it grows.
        s.cache = new KvCache(model.config(), Math.min(contextLength, s.prompt.length + Math.max(1, s.params.maxTokens())),
                kvPages);
        s.decoder = tokenizer.streamingDecoder(!s.keepSpecialText);
        s.stops = new StopMatcher(s.params.stopStrings());
        active.add(s);
    }

    /** One forward call over every active sequence, then one sampled token for each that finished its prompt. */
    private void step() {
        active.removeIf(s -> {
            if (!s.cancelled()) return false;
            s.events.finished(FinishReason.CANCELLED, s.prompt.length, s.generated);
            s.cache.truncate(0); // its pages go back to the pool
            return true;
        });
        if (active.isEmpty()) return;
        List<SequenceInput> inputs = new ArrayList<>(active.size());
        List<Sequence> stepping = new ArrayList<>(active.size());
        int prefillBudget = prefillRowsPerStep;
        int rows = 0;
        for (Sequence s : active) {
            int[] tokens;
            boolean all = false;
            if (!s.prefillDone() && s.prefillLeader != null) {
                Sequence leader = s.prefillLeader;
                if (active.contains(leader) && !leader.prefillDone()) continue; // takes its cache when it is done
                s.prefillLeader = null; // the leader is gone or was done before this one came in: prefill alone
            }
            if (!s.prefillDone()) {
                if (prefillBudget == 0) continue; // waits for the next step's budget
                int n = Math.min(prefillBudget, s.prompt.length - s.prefilled);
                // Scoring the prompt needs logits for every row ([n, V] floats: 256 rows of a 150k vocabulary
                // would be 150 MB): smaller chunks for those.
                if (s.promptLogprobs) n = Math.min(n, PROMPT_SCORING_ROWS);
                tokens = Arrays.copyOfRange(s.prompt, s.prefilled, s.prefilled + n);
                prefillBudget -= n;
                prefilledTokens += n; // only the decode thread writes it
                all = s.promptLogprobs;
            } else {
                tokens = new int[]{s.lastToken};
            }
            inputs.add(new SequenceInput(s.cache, tokens, all, s.adapter));
            stepping.add(s);
            rows += tokens.length;
        }
        long t0 = System.nanoTime();
        float[][] logits = model.forwardReusingLogits(inputs); // [1, V] rows overwritten by the next step's pass
        long t1 = System.nanoTime();
        observer.step(stepping.size(), rows, t1 - t0);
        largestBatch = Math.max(largestBatch, stepping.size());
        if (stepping.size() > mostAdaptersInOneStep) { // distinct adapters by identity, no allocation per step
            int distinct = 0;
            for (int i = 0; i < stepping.size(); i++) {
                boolean seen = false;
                for (int j = 0; j < i && !seen; j++) seen = stepping.get(j).adapter == stepping.get(i).adapter;
                if (!seen) distinct++;
            }
            mostAdaptersInOneStep = Math.max(mostAdaptersInOneStep, distinct);
        }

        // Prompt bookkeeping (cheap, in order), then one sampled token per ready sequence: those draws are
        // independent (each sequence owns its sampler), so they run on the model's worker pool, idle between passes.
        List<Sequence> ready = new ArrayList<>(stepping.size());
        List<float[]> readyLogits = new ArrayList<>(stepping.size());
        int[] readyOff = new int[active.size()]; // the stepping ones and the choices that share a prefill
        for (int i = 0; i < stepping.size(); i++) {
            Sequence s = stepping.get(i);
            SequenceInput in = inputs.get(i);
            int off = 0;
            boolean prefillEndedNow = false;
            if (!s.prefillDone()) {
                prefillEndedNow = true; // (when it is not done after this chunk, the loop continues below)
                if (in.allLogits()) scorePrompt(s, logits[i], in.tokens().length);
                s.prefilled += in.tokens().length;
                if (!s.prefillDone()) continue;
                observer.promptTokens(s.prompt.length);
                if (s.promptLogprobs) s.events.promptLogprobs(s.promptLps);
                if (in.allLogits()) off = (in.tokens().length - 1) * vocabSize;
            }
            readyOff[ready.size()] = off;
            ready.add(s);
            readyLogits.add(logits[i]);
            if (prefillEndedNow) {
                // The request's other choices waiting on this prefill copy its cache and sample from a copy of its
                // last-position logits (sampling masks the row in place).
                for (Sequence f : active) {
                    if (f.prefillLeader != s) continue;
                    f.cache.copyFrom(s.cache);
                    f.prefilled = f.prompt.length;
                    f.prefillLeader = null;
                    if (f.promptLogprobs) {
                        f.promptLps.clear();
                        f.promptLps.addAll(s.promptLps);
                        f.events.promptLogprobs(f.promptLps);
                    }
                    readyOff[ready.size()] = 0;
                    ready.add(f);
                    readyLogits.add(Arrays.copyOfRange(logits[i], off, off + vocabSize));
                    observer.promptTokens(f.prompt.length);
                }
            }
        }
        boolean[] done = new boolean[ready.size()];
        IntConsumer sampleOne = j -> {
            Sequence s = ready.get(j);
            try {
                done[j] = sampleNext(s, readyLogits.get(j), readyOff[j], t1);
            } catch (RuntimeException e) {
                s.events.failed(ApiError.invalid(null, "sampling failed: " + e.getMessage()));
                done[j] = true;
            }
        };
        if (pool != null && ready.size() > 1) pool.parallelFor(ready.size(), sampleOne);
        else for (int j = 0; j < ready.size(); j++) sampleOne.accept(j);
        for (int j = 0; j < ready.size(); j++) {
            if (!done[j]) continue;
            active.remove(ready.get(j));
            ready.get(j).cache.truncate(0);
        }
    }

    /** Log-probabilities of this chunk's prompt tokens: row r of the logits predicts prompt token prefilled+r+1. */
    private void scorePrompt(Sequence s, float[] logits, int rows) {
        for (int r = 0; r < rows; r++) {
            int next = s.prefilled + r + 1;
            if (next >= s.prompt.length) break;
            s.promptLps.add(TokenLogprobs.of(logits, r * vocabSize, vocabSize, s.prompt[next],
                    Math.max(0, s.params.topLogprobs())));
        }
    }

    /** Samples, emits and records one token; returns true when the sequence has finished. */
    private boolean sampleNext(Sequence s, float[] logits, int off, long now) {
        if (s.generated >= s.params.maxTokens()) return finish(s, FinishReason.LENGTH);
        boolean wantLp = s.params.topLogprobs() >= 0;
        // Log-probabilities are the model's own distribution: read them before the constraint masks the row.
        float[] raw = logits;
        int rawOff = off;
        if (s.constraint != null) {
            if (wantLp) {
                raw = Arrays.copyOfRange(logits, off, off + vocabSize);
                rawOff = 0;
            }
            if (s.constraint.mask(logits, off) == 0) {
                throw new IllegalStateException("no token can continue the constrained output (the vocabulary cannot"
                        + " spell any valid continuation)");
            }
        }
        int token = s.sampler.sample(logits, off, s.history, s.historyLength);
        if (isStopToken(s, token)) return finish(s, FinishReason.STOP);
        TokenLogprobs lp = wantLp ? TokenLogprobs.of(raw, rawOff, vocabSize, token, s.params.topLogprobs()) : null;
        if (s.constraint != null) s.constraint.accept(token);
        s.history[s.historyLength++] = token;
        s.generated++;
        s.lastToken = token;
        if (s.generated == 1) {
            s.firstTokenNanos = now;
            observer.firstToken(now - s.submittedNanos);
        } else {
            observer.interToken(now - s.lastTokenNanos);
        }
        s.lastTokenNanos = now;
        observer.completionTokens(1);
        generatedTokens++; // only the decode thread writes it
        String piece = s.stops.feed(s.decoder.next(token));
        s.events.token(piece, token, lp);
        if (s.stops.stopped() || (s.constraint != null && s.constraint.isComplete() && !s.constraint.canContinue())) {
            return finish(s, FinishReason.STOP);
        }
        if (s.generated >= s.params.maxTokens() || s.cache.length() >= s.cache.capacity()) {
            return finish(s, FinishReason.LENGTH);
        }
        return false;
    }

    private boolean finish(Sequence s, FinishReason reason) {
        if (!s.stops.stopped()) {
            String tail = s.stops.finish(s.decoder.flush());
            if (!tail.isEmpty()) s.events.token(tail, -1, null);
        }
        s.events.finished(reason, s.prompt.length, s.generated);
        return true;
    }

    private boolean isStopToken(Sequence s, int token) {
        if (tokenizer.specials().isEos(token)) return true;
        return s.params.stopTokens().contains(token);
    }

    /** Stops the decode thread; waiting and running sequences fail with 503. */
    @Override
    public void close() {
        synchronized (pending) {
            running = false;
        }
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
