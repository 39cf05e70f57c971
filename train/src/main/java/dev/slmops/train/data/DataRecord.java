package dev.slmops.train.data;

import dev.slmops.model.chat.ChatMessage;

import java.util.List;

/**
 * One training record after parsing, before tokenization, in one of three shapes; {@code line} is its line in the
 * JSONL file (1-based) for error messages.
 */
public sealed interface DataRecord {
    int line();

    /** {@code {"text": ...}} or a whole-text {@code {field}} template: every token is a target. */
    record Text(int line, String text) implements DataRecord {
    }

    /** {@code {"prompt", "completion"}}, {@code {"input", "output"}} or prompt/completion templates. */
    record PromptCompletion(int line, String prompt, String completion) implements DataRecord {
    }

    /**
     * {@code {"messages": [{role, content} ...]}}: rendered with the model's chat template. Assistant turns from
     * {@code firstTarget} on are targets (0 for plain conversations; the completion's first message for TRL's
     * conversational {@code {"prompt": [...], "completion": [...]}}).
     */
    record Chat(int line, List<ChatMessage> messages, int firstTarget) implements DataRecord {
        public Chat {
            messages = List.copyOf(messages);
        }

        public Chat(int line, List<ChatMessage> messages) {
            this(line, messages, 0);
        }
    }
}
