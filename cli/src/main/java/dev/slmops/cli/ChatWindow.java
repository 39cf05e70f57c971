package dev.slmops.cli;

import dev.slmops.model.chat.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Keeps a terminal conversation inside the context window, as Ollama does with its history: when the rendered
 * conversation leaves no room for a reply, the oldest turns go (a user message with the assistant's answer to it),
 * the system message stays. The newest user message is never dropped: if it cannot fit on its own, the caller is
 * told so and the conversation carries on without it.
 */
final class ChatWindow {
    private ChatWindow() {
    }

    /** The prompt to run, and how many messages were dropped from the front of the history to fit it. */
    record Fitted(int[] ids, int dropped) {
    }

    /**
     * Drops the oldest turns of {@code history} (in place) until its encoding leaves {@code replyRoom} tokens of
     * {@code capacity}, or only the system message and the newest message are left.
     *
     * @param encode the conversation's token ids as the model will read them (its chat template, then its tokenizer)
     * @return the prompt and the messages dropped; null when the newest message does not fit even with only the
     *         system messages before it (then it is removed from {@code history}, and nothing else is)
     */
    static Fitted fit(List<ChatMessage> history, Function<List<ChatMessage>, int[]> encode, int capacity, int replyRoom) {
        int[] ids = encode.apply(history);
        if (ids.length + replyRoom <= capacity) return new Fitted(ids, 0);
        List<ChatMessage> alone = new ArrayList<>(); // the system messages and the newest one: the least that can run
        for (int i = 0; i < history.size() - 1; i++) if (history.get(i).role().equals("system")) alone.add(history.get(i));
        alone.add(history.getLast());
        if (encode.apply(alone).length >= capacity) { // not even one token of reply: the newest message is too long
            history.removeLast();
            return null;
        }
        int dropped = 0;
        while (ids.length + replyRoom > capacity) {
            int oldest = firstDroppable(history);
            if (oldest < 0) break; // only the system messages and the newest are left: run with less room
            history.remove(oldest);
            dropped++;
            // an assistant message with no user turn before it reads oddly to most templates: it goes too
            while (oldest < history.size() - 1 && !history.get(oldest).role().equals("user")) {
                history.remove(oldest);
                dropped++;
            }
            ids = encode.apply(history);
        }
        return new Fitted(ids, dropped);
    }

    /** The first message that may go: not a system message, not the newest one; -1 if none. */
    private static int firstDroppable(List<ChatMessage> history) {
        for (int i = 0; i < history.size() - 1; i++) {
            if (!history.get(i).role().equals("system")) return i;
        }
        return -1;
    }

    /** Tokens kept free for the reply: a quarter of the context, or {@code maxTokens} if fewer, and at least one. */
    static int replyRoom(int capacity, int maxTokens) {
        return Math.max(1, Math.min(maxTokens, capacity / 4));
    }
}
