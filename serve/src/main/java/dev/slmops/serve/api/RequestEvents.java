package dev.slmops.serve.api;

import dev.slmops.model.generate.Generator.FinishReason;
import dev.slmops.model.generate.TokenLogprobs;
import dev.slmops.serve.scheduler.SequenceEvents;

import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The events of a request's n sequences, in one queue: the decode thread adds (never blocks), the request's own
 * (virtual) thread takes them and writes the response.
 */
final class RequestEvents {
    sealed interface Event permits PromptScored, Token, Finished, Failed {
        int index();
    }

    record PromptScored(int index, List<TokenLogprobs> logprobs) implements Event {
    }

    record Token(int index, String text, int token, TokenLogprobs logprobs) implements Event {
    }

    record Finished(int index, FinishReason reason, int promptTokens, int completionTokens) implements Event {
    }

    record Failed(int index, ApiError error) implements Event {
    }

    private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();

    /** The callbacks of sequence {@code index}. */
    SequenceEvents forSequence(int index) {
        return new SequenceEvents() {
            @Override
            public void promptLogprobs(List<TokenLogprobs> perPromptToken) {
                queue.add(new PromptScored(index, List.copyOf(perPromptToken.subList(1, perPromptToken.size()))));
            }

            @Override
            public void token(String text, int token, TokenLogprobs logprobsOrNull) {
                queue.add(new Token(index, text, token, logprobsOrNull));
            }

            @Override
            public void finished(FinishReason reason, int promptTokens, int completionTokens) {
                queue.add(new Finished(index, reason, promptTokens, completionTokens));
            }

            @Override
            public void failed(ApiError error) {
                queue.add(new Failed(index, error));
            }
        };
    }

    /** The next event, or null after {@code millis} without one. */
    Event next(long millis) throws InterruptedException {
        return queue.poll(millis, TimeUnit.MILLISECONDS);
    }
}
