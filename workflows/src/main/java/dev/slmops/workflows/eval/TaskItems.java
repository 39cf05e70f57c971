package dev.slmops.workflows.eval;

import dev.slmops.model.chat.ChatMessage;
import dev.slmops.model.chat.ChatTemplate;
import dev.slmops.model.chat.RenderOptions;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.train.data.DataRecord;
import dev.slmops.train.data.DatasetOptions;
import dev.slmops.train.data.JsonlDataset;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the records of a JSONL test file into questions with a reference answer, prompted exactly as the trainer
 * saw them (train/data ExampleBuilder), so that what was learned is what is asked:
 * <ul>
 *   <li>{@code prompt}/{@code completion} and {@code input}/{@code output}: the prompt tokenized with BOS; the
 *       completion is the answer. With {@code chat}, the prompt becomes a user turn in the model's chat template.</li>
 *   <li>{@code messages}: everything before the last assistant turn, rendered with the chat template and its
 *       generation prompt; the last assistant turn is the answer.</li>
 * </ul>
 * {@code text} records have no answer to score and are refused.
 */
public final class TaskItems {
    private TaskItems() {
    }

    /**
     * @param line   the record's line in the file (1-based)
     * @param prompt the prompt tokens the model continues
     */
    public record Item(int line, String promptText, int[] prompt, String reference) {
    }

    /**
     * @param chat  the model's chat template (null when it has none; then chat records and {@code chatPairs} fail)
     * @param limit the first this many records only; {@code <= 0}: all
     */
    public static List<Item> read(Path file, Tokenizer tok, ChatTemplate chat, boolean chatPairs, int limit)
            throws IOException {
        List<DataRecord> records = JsonlDataset.read(file, DatasetOptions.defaults()).records();
        List<Item> items = new ArrayList<>();
        for (DataRecord r : records) {
            if (limit > 0 && items.size() == limit) break;
            items.add(item(file, r, tok, chat, chatPairs));
        }
        return items;
    }

    static Item item(Path file, DataRecord r, Tokenizer tok, ChatTemplate chat, boolean chatPairs) {
        return switch (r) {
            case DataRecord.Text t -> throw new IllegalArgumentException(file + ":" + t.line() + ": a {\"text\"} record "
                    + "has no answer to score: task accuracy needs prompt/completion, input/output or messages records");
            case DataRecord.PromptCompletion pc when chatPairs -> chatItem(file, pc.line(),
                    List.of(ChatMessage.user(pc.prompt())), pc.completion(), tok, chat);
            case DataRecord.PromptCompletion pc -> new Item(pc.line(), pc.prompt(), tok.encode(pc.prompt(), true),
                    pc.completion());
            case DataRecord.Chat c -> {
                int last = -1;
                for (int i = 0; i < c.messages().size(); i++) {
                    if (c.messages().get(i).role().equals("assistant")) last = i;
                }
                if (last < 0) {
                    throw new IllegalArgumentException(file + ":" + c.line() + ": the conversation has no assistant "
                            + "turn, so there is no answer to score");
                }
                yield chatItem(file, c.line(), c.messages().subList(0, last), c.messages().get(last).content(), tok, chat);
            }
        };
    }

    private static Item chatItem(Path file, int line, List<ChatMessage> before, String answer, Tokenizer tok,
                                 ChatTemplate chat) {
        if (chat == null) {
            throw new IllegalArgumentException(file + ":" + line + ": needs the model's chat template, but the model "
                    + "has none (use prompt/completion records without --chat)");
        }
        if (before.isEmpty()) {
            throw new IllegalArgumentException(file + ":" + line + ": the answer is the first turn: nothing to prompt with");
        }
        String text = chat.render(before, RenderOptions.forGeneration());
        return new Item(line, text, tok.encode(text, false), answer); // the template writes the special tokens
    }
}
