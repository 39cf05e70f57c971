package dev.slmops.serve.scheduler;

import dev.slmops.model.generate.Generator.FinishReason;
import dev.slmops.model.generate.TokenLogprobs;
import dev.slmops.serve.api.ApiError;

import java.util.List;

/**
 * What the decode loop tells a request about one of its sequences. Called on the decode thread: implementations
 * must return at once (hand the event to the request's own thread), never block on the network.
 */
public interface SequenceEvents {

    /**
     * The prompt's own log-probabilities (echo with logprobs): entry i is token i given tokens 0..i-1; entry 0 is
     * null (nothing precedes the first token).
     */
    void promptLogprobs(List<TokenLogprobs> perPromptToken);

    /**
     * One generated token and the text it completes ("" while a character or a possible stop string is held back;
     * token -1 for the held-back tail at the end).
     */
    void token(String text, int token, TokenLogprobs logprobsOrNull);

    /** The sequence ended; no further events follow. */
    void finished(FinishReason reason, int promptTokens, int completionTokens);

    /** The sequence failed; no further events follow. */
    void failed(ApiError error);
}
