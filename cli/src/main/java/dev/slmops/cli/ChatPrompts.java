package dev.slmops.cli;

import dev.slmops.model.chat.ChatMessage;
import dev.slmops.model.chat.RenderOptions;
import dev.slmops.model.load.LoadedModel;

import java.util.List;

/** Prompts rendered through the model's chat template. */
final class ChatPrompts {
    private ChatPrompts() {
    }

    static String userTurn(LoadedModel m, String prompt) {
        return render(m, List.of(ChatMessage.user(prompt)));
    }

    static String render(LoadedModel m, List<ChatMessage> history) {
        return m.chatTemplate().render(history, RenderOptions.forGeneration());
    }
}
