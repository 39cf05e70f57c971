package dev.slmops.train.data;

/**
 * How a JSONL file becomes training examples. Defaults follow TRL's SFT trainer: loss on completions / assistant
 * turns only, EOS appended, no packing.
 *
 * @param seqLen             max tokens per example (packing: tokens per packed sequence); {@code <= 0}: no limit
 * @param packing            concatenate examples into sequences of exactly seqLen tokens (the last may be shorter)
 * @param completionOnlyLoss prompt tokens and non-assistant chat turns are not targets (false: every token is)
 * @param textTemplate       {@code {field}} template producing a whole text (null: none)
 * @param promptTemplate     {@code {field}} template for the prompt (with completionTemplate; null: none)
 * @param completionTemplate {@code {field}} template for the completion (null: none)
 * @param chatTemplateForPairs render prompt/completion records as a user turn and an assistant turn with the model's
 *                           chat template (instead of plain concatenation)
 * @param addEos             append the tokenizer's EOS to texts and completions when the text does not end with it
 * @param skipBadRecords     skip (and count) records that cannot be used instead of failing on the first one
 * @param seed               shuffle seed
 * @param shuffle            shuffle the training examples
 */
public record DatasetOptions(int seqLen, boolean packing, boolean completionOnlyLoss, String textTemplate,
                             String promptTemplate, String completionTemplate, boolean chatTemplateForPairs,
                             boolean addEos, boolean skipBadRecords, long seed, boolean shuffle) {

    public static DatasetOptions defaults() {
        return new DatasetOptions(1024, false, true, null, null, null, false, true, false, 42, true);
    }

    public DatasetOptions withSeqLen(int n) {
        return new DatasetOptions(n, packing, completionOnlyLoss, textTemplate, promptTemplate, completionTemplate,
                chatTemplateForPairs, addEos, skipBadRecords, seed, shuffle);
    }

    public DatasetOptions withPacking(boolean p) {
        return new DatasetOptions(seqLen, p, completionOnlyLoss, textTemplate, promptTemplate, completionTemplate,
                chatTemplateForPairs, addEos, skipBadRecords, seed, shuffle);
    }

    public DatasetOptions withCompletionOnlyLoss(boolean c) {
        return new DatasetOptions(seqLen, packing, c, textTemplate, promptTemplate, completionTemplate,
                chatTemplateForPairs, addEos, skipBadRecords, seed, shuffle);
    }

    public DatasetOptions withTextTemplate(String t) {
        return new DatasetOptions(seqLen, packing, completionOnlyLoss, t, promptTemplate, completionTemplate,
                chatTemplateForPairs, addEos, skipBadRecords, seed, shuffle);
    }

    public DatasetOptions withPromptCompletionTemplates(String prompt, String completion) {
        return new DatasetOptions(seqLen, packing, completionOnlyLoss, textTemplate, prompt, completion,
                chatTemplateForPairs, addEos, skipBadRecords, seed, shuffle);
    }

    public DatasetOptions withChatTemplateForPairs(boolean c) {
        return new DatasetOptions(seqLen, packing, completionOnlyLoss, textTemplate, promptTemplate, completionTemplate,
                c, addEos, skipBadRecords, seed, shuffle);
    }

    public DatasetOptions withSkipBadRecords(boolean s) {
        return new DatasetOptions(seqLen, packing, completionOnlyLoss, textTemplate, promptTemplate, completionTemplate,
                chatTemplateForPairs, addEos, s, seed, shuffle);
    }

    public DatasetOptions withSeed(long s, boolean doShuffle) {
        return new DatasetOptions(seqLen, packing, completionOnlyLoss, textTemplate, promptTemplate, completionTemplate,
                chatTemplateForPairs, addEos, skipBadRecords, s, doShuffle);
    }
}
