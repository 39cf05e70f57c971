package dev.slmops.train.data;

import dev.slmops.model.chat.ChatMessage;
import dev.slmops.model.chat.ChatTemplate;
import dev.slmops.model.chat.RenderOptions;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.train.Example;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokenizes a {@link DataRecord} into an {@link Example} and marks its targets:
 * <ul>
 *   <li>text: the tokenizer's own BOS/EOS rules, plus EOS when asked; every token a target;</li>
 *   <li>prompt/completion: prompt (with BOS) then completion (+ EOS), tokenized separately as TRL does; targets are
 *       the completion tokens (or all); with {@code chatTemplateForPairs} as a user turn and an assistant turn;</li>
 *   <li>messages: the model's chat template renders the whole conversation; targets are the assistant turns
 *       (their content and the end-of-turn text the template writes after it; for TRL's conversational
 *       prompt/completion only the completion's), or all tokens.</li>
 * </ul>
 * Chat text is tokenized as HF's {@code apply_chat_template} does: the whole text, without adding special tokens
 * (the template writes them). Targets are found by tokenizing the pieces between turn boundaries; where the pieces
 * do not tokenize as the whole does (SentencePiece's space prefix), each boundary is placed by the token count of
 * the text before it.
 */
final class ExampleBuilder {
    private final Tokenizer tok;
    private final ChatTemplate chat;
    private final DatasetOptions o;

    ExampleBuilder(Tokenizer tok, ChatTemplate chat, DatasetOptions o) {
        this.tok = tok;
        this.chat = chat;
        this.o = o;
    }

    Example build(DataRecord r) {
        return switch (r) {
            case DataRecord.Text t -> {
                Pieces p = new Pieces();
                p.add(tok.encode(t.text(), true), true);
                yield p.withEos(o.addEos()).example();
            }
            case DataRecord.PromptCompletion pc when o.chatTemplateForPairs() -> build(new DataRecord.Chat(pc.line(),
                    List.of(ChatMessage.user(pc.prompt()), ChatMessage.assistant(pc.completion()))));
            case DataRecord.PromptCompletion pc -> {
                Pieces p = new Pieces();
                p.add(tok.encode(pc.prompt(), true), !o.completionOnlyLoss());
                int[] completion = tok.encode(pc.completion(), false);
                if (completion.length == 0) throw new IllegalArgumentException("has an empty completion");
                p.add(completion, true);
                yield p.withEos(o.addEos()).example();
            }
            case DataRecord.Chat c -> chat(c.messages(), c.firstTarget());
        };
    }

    /** Character spans of the assistant turns in the rendered conversation, then tokens piece by piece. */
    private Example chat(List<ChatMessage> messages, int firstTarget) {
        if (chat == null) throw new IllegalArgumentException("is a chat record, but the model has no chat template");
        String full = chat.render(messages, RenderOptions.defaults());
        List<int[]> spans = new ArrayList<>();
        int cursor = 0;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (!m.role().equals("assistant") || i < firstTarget) continue;
            String prefix = chat.render(messages.subList(0, i), RenderOptions.forGeneration());
            String upTo = chat.render(messages.subList(0, i + 1), RenderOptions.defaults());
            String content = m.content().strip();
            int start = full.startsWith(prefix) && prefix.length() >= cursor ? prefix.length() : -1;
            int at = full.indexOf(content, Math.max(cursor, start < 0 ? cursor : start));
            if (at < 0) {
                throw new IllegalArgumentException("the chat template's output does not contain assistant turn " + i
                        + "'s content; cannot mark its tokens as targets (use loss on all tokens)");
            }
            if (start < 0) start = at;
            int end = at + content.length();
            // the end-of-turn text the template writes right after the content (e.g. "<|im_end|>\n")
            int inUpTo = upTo.lastIndexOf(content);
            if (inUpTo >= 0) {
                String after = upTo.substring(inUpTo + content.length());
                if (!after.isEmpty() && full.startsWith(after, end)) end += after.length();
            }
            spans.add(new int[] {start, end});
            cursor = end;
        }
        Pieces p = new Pieces();
        int pos = 0;
        for (int[] s : spans) {
            p.add(tok.encode(full.substring(pos, s[0]), false), !o.completionOnlyLoss());
            p.add(tok.encode(full.substring(s[0], s[1]), false), true);
            pos = s[1];
        }
        p.add(tok.encode(full.substring(pos), false), !o.completionOnlyLoss());
        Example pieces = p.example();
        int[] whole = tok.encode(full, false);
        if (java.util.Arrays.equals(whole, pieces.tokens())) return pieces;
        // The pieces tokenize differently from the whole text (SentencePiece adds a space prefix to each piece):
        // keep the whole text's tokens and place each span by the token count of the text before its boundaries.
        boolean[] lossOn = new boolean[whole.length];
        if (!o.completionOnlyLoss()) java.util.Arrays.fill(lossOn, true);
        for (int[] s : spans) {
            int from = prefixTokens(full, s[0], whole), to = prefixTokens(full, s[1], whole);
            for (int i = from; i < to; i++) lossOn[i] = true;
        }
        return new Example(whole, lossOn);
    }

    /** How many of the whole text's tokens lie before char {@code at} (the prefix's own token count, capped). */
    private int prefixTokens(String full, int at, int[] whole) {
        if (at >= full.length()) return whole.length;
        return Math.min(whole.length, tok.encode(full.substring(0, at), false).length);
    }

    /** Token pieces with their target flag. */
    private final class Pieces {
        private final List<int[]> ids = new ArrayList<>();
        private final List<Boolean> on = new ArrayList<>();

        void add(int[] t, boolean target) {
            ids.add(t);
            on.add(target);
        }

        Pieces withEos(boolean addEos) {
            var eos = tok.specials().eos();
            if (!addEos || eos.isEmpty()) return this;
            int[] last = ids.isEmpty() ? new int[0] : ids.getLast();
            if (last.length > 0 && tok.specials().isEos(last[last.length - 1])) return this;
            add(new int[] {eos.getAsInt()}, true);
            return this;
        }

        Example example() {
            int n = 0;
            for (int[] t : ids) n += t.length;
            int[] tokens = new int[n];
            boolean[] lossOn = new boolean[n];
            int k = 0;
            for (int i = 0; i < ids.size(); i++) {
                for (int t : ids.get(i)) {
                    tokens[k] = t;
                    lossOn[k++] = on.get(i);
                }
            }
            return new Example(tokens, lossOn);
        }
    }
}
