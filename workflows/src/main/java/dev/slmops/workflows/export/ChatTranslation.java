package dev.slmops.workflows.export;

import dev.slmops.model.chat.ChatMessage;
import dev.slmops.model.chat.ChatTemplate;
import dev.slmops.model.chat.RenderOptions;
import dev.slmops.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A model's Jinja chat template expressed for another runtime: the recognised {@link ChatFamily}, the default
 * system prompt the template inserts when a conversation has none (found by rendering the template with a lone
 * user message, e.g. SmolLM2's "You are a helpful AI assistant named SmolLM ..."), and the texts generation must
 * stop at.
 *
 * @param family        the format (ChatML when none was recognised: see {@link #recognised})
 * @param recognised    false when the template matched no family and ChatML is a guess the user must check
 * @param defaultSystem the system prompt the template adds on its own, if any
 * @param stops         end-of-turn marker and the tokenizer's EOS texts, without duplicates
 * @param note          one line for the user about how the template was translated
 */
public record ChatTranslation(ChatFamily family, boolean recognised, Optional<String> defaultSystem,
                              List<String> stops, String note) {

    public static ChatTranslation of(ChatTemplate template, Tokenizer tokenizer) {
        String jinja = template.isFallback() ? null : template.templateText(false);
        ChatFamily family = ChatFamily.detect(jinja);
        boolean recognised = family != null;
        if (family == null) family = ChatFamily.CHATML;
        Optional<String> system = recognised ? defaultSystem(template, family) : Optional.empty();

        Set<String> stops = new LinkedHashSet<>();
        stops.add(family.endOfTurn);
        for (int id : tokenizer.specials().eosIds()) stops.add(tokenizer.token(id));
        String note = !recognised
                ? (jinja == null ? "the model has no chat template: wrote ChatML" :
                "the chat template matches none of ChatML, Llama 3, Phi-3, Gemma: wrote ChatML, check the TEMPLATE / PromptTemplate by hand")
                : "chat template recognised as " + family.displayName
                + system.map(s -> ", with its default system prompt").orElse("");
        return new ChatTranslation(family, recognised, system, new ArrayList<>(stops), note);
    }

    /** The system turn the template renders for [user "…"] alone, if it renders one. */
    static Optional<String> defaultSystem(ChatTemplate template, ChatFamily family) {
        if (family.systemPrefix == null) return Optional.empty();
        String rendered;
        try {
            rendered = template.render(List.of(ChatMessage.user("Hello")), RenderOptions.forGeneration());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        int start = rendered.indexOf(family.systemPrefix);
        if (start < 0) return Optional.empty();
        start += family.systemPrefix.length();
        int end = rendered.indexOf(family.systemSuffix, start);
        return end < 0 || end == start ? Optional.empty() : Optional.of(rendered.substring(start, end));
    }
}
