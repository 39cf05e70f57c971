package dev.slmops.model.generate;

import dev.slmops.model.engine.KvCache;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.generate.constrain.TokenConstraint;
import dev.slmops.model.tokenizer.StreamingDecoder;
import dev.slmops.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Generates a continuation of a prompt: batched prefill, then one token at a time, with the sampler chain,
 * stop tokens and stop strings, a streaming callback that only ever sees whole characters, and optional
 * per-token log-probabilities.
 */
public final class Generator {
    /** Prompt tokens per prefill step: bounds the activation memory of long prompts. */
    static final int PREFILL_CHUNK = 512;

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final dev.slmops.model.lora.LoraAdapter adapter; // null: the base model

    public enum FinishReason { STOP, LENGTH, CANCELLED }

    /** Receives each piece of text as it is complete; returning false cancels the generation. */
    @FunctionalInterface
    public interface Listener {
        boolean onText(String text, int token, TokenLogprobs logprobsOrNull);
    }

    /**
     * @param tokens     the generated ids (the stop token excluded)
     * @param text       their text, cut before a stop string
     * @param finish     why it ended
     * @param logprobs   per generated token, when asked for
     */
    public record Result(int[] tokens, String text, FinishReason finish, List<TokenLogprobs> logprobs,
                         int promptTokens, long prefillNanos, long decodeNanos) {
        public double decodeTokensPerSecond() {
            return tokens.length <= 1 || decodeNanos == 0 ? 0 : (tokens.length - 1) * 1e9 / decodeNanos;
        }
    }

    public Generator(Transformer model, Tokenizer tokenizer) {
        this(model, tokenizer, null);
    }

    /** Generates under a LoRA adapter applied unmerged (null: the base model). */
    public Generator(Transformer model, Tokenizer tokenizer, dev.slmops.model.lora.LoraAdapter adapter) {
        this.adapter = adapter;
        this.model = model;
        this.tokenizer = tokenizer;
    }

    public Result generate(int[] prompt, SamplingParams params, KvCache cache, Listener listener) {
        return generate(prompt, params, cache, listener, null);
    }

    /**
     * As {@link #generate(int[], SamplingParams, KvCache, Listener)}, with every sampled token restricted by
     * {@code constraintOrNull} (structured output): the text streamed is always a prefix of a valid output, and
     * generation stops when the constraint is complete and nothing may follow.
     */
    public Result generate(int[] prompt, SamplingParams params, KvCache cache, Listener listener,
                           TokenConstraint constraintOrNull) {
        int V = model.config().vocabSize();
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty: nothing to continue");
        if (cache.length() + prompt.length >= cache.capacity()) {
            throw new IllegalArgumentException("the prompt has " + (cache.length() + prompt.length)
                    + " tokens; the context holds " + cache.capacity() + " (use a longer --ctx or a shorter prompt)");
        }
        Sampler sampler = new Sampler(params, V);
        int[] history = Arrays.copyOf(prompt, prompt.length + params.maxTokens() + 1);
        int historyLength = prompt.length;
        StreamingDecoder decoder = tokenizer.streamingDecoder(true);
        StopMatcher stops = new StopMatcher(params.stopStrings());
        int[] eos = tokenizer.specials().eosIds();
        List<TokenLogprobs> logprobs = params.topLogprobs() >= 0 ? new ArrayList<>() : null;
        StringBuilder text = new StringBuilder();
        int[] generated = new int[params.maxTokens()];
        int count = 0;

        long t0 = System.nanoTime();
        float[] logits = null;
        float[] masked = null;   // [V] the constrained copy of logits, when there is a constraint
        for (int from = 0; from < prompt.length; from += PREFILL_CHUNK) {
            int[] chunk = Arrays.copyOfRange(prompt, from, Math.min(prompt.length, from + PREFILL_CHUNK));
            logits = model.forwardInto(cache, chunk, adapter, logits); // one [V] array for the whole call
        }
        long t1 = System.nanoTime();
        FinishReason finish = FinishReason.LENGTH;
        while (count < params.maxTokens()) {
            float[] choices = logits; // the constraint masks a copy: log-probabilities stay the model's own
            if (constraintOrNull != null) {
                if (masked == null) masked = new float[V];
                System.arraycopy(logits, 0, masked, 0, V);
                if (constraintOrNull.mask(masked, 0) == 0) {
                    throw new IllegalStateException("the output constraint allows no token after: " + text);
                }
                choices = masked;
            }
            int token = sampler.sample(choices, 0, history, historyLength);
            if (constraintOrNull != null && !isStopToken(token, eos, params)) constraintOrNull.accept(token);
            if (isStopToken(token, eos, params)) {
                finish = FinishReason.STOP;
                break;
            }
            TokenLogprobs lp = logprobs == null ? null : TokenLogprobs.of(logits, 0, V, token, params.topLogprobs());
            if (lp != null) logprobs.add(lp);
            generated[count++] = token;
            history[historyLength++] = token;
            String piece = stops.feed(decoder.next(token));
            text.append(piece);
            if (listener != null && !listener.onText(piece, token, lp)) {
                finish = FinishReason.CANCELLED;
                break;
            }
            if (stops.stopped()) {
                finish = FinishReason.STOP;
                break;
            }
            if (constraintOrNull != null && constraintOrNull.isComplete() && !constraintOrNull.canContinue()) {
                finish = FinishReason.STOP;
                break;
            }
            if (count == params.maxTokens() || cache.length() >= cache.capacity()) break;
            logits = model.forwardInto(cache, new int[]{token}, adapter, logits);
        }
        if (finish != FinishReason.STOP || !stops.stopped()) {
            String tail = stops.finish(decoder.flush());
            text.append(tail);
            if (listener != null && !tail.isEmpty() && finish != FinishReason.CANCELLED) listener.onText(tail, -1, null);
        }
        long t2 = System.nanoTime();
        return new Result(Arrays.copyOf(generated, count), text.toString(), finish, logprobs, prompt.length,
                t1 - t0, t2 - t1);
    }

    private static boolean isStopToken(int token, int[] eos, SamplingParams p) {
        for (int e : eos) if (e == token) return true;
        return p.stopTokens().contains(token);
    }
}
