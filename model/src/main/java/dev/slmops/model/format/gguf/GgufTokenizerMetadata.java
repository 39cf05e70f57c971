package dev.slmops.model.format.gguf;

import java.util.List;

import static dev.slmops.model.format.gguf.GgufKeys.*;

/**
 * Writes the {@code tokenizer.*} keys llama.cpp needs to build a vocabulary, checked for consistency first
 * (llama.cpp aborts loading on a vocabulary whose arrays disagree). Two models:
 * SentencePiece ({@code tokenizer.ggml.model = "llama"}: tokens, scores, token types) and byte-level BPE
 * ({@code "gpt2"}: tokens in GPT-2's byte-to-unicode alphabet, token types, merges "left right" in rank
 * order, and a pre-tokenizer name such as "llama-bpe", "qwen2", "default").
 */
public final class GgufTokenizerMetadata {
    private GgufTokenizerMetadata() {
    }

    /**
     * Special token ids (-1: none) and whether llama.cpp adds BOS/EOS when tokenizing with specials.
     */
    public record SpecialTokens(int bos, int eos, int unk, int pad, boolean addBos, boolean addEos) {
    }

    /** tokenizer.ggml.model "llama": a SentencePiece vocabulary. */
    public static GgufWriter putSentencePiece(GgufWriter w, List<String> tokens, List<Float> scores,
                                              List<Integer> tokenTypes, SpecialTokens special) {
        check(tokens.size() == scores.size() && tokens.size() == tokenTypes.size(), "tokens (" + tokens.size()
                + "), scores (" + scores.size() + ") and token types (" + tokenTypes.size() + ") must have one entry per token");
        w.putString(TOKENIZER_MODEL, "llama").putString(TOKENIZER_PRE, "default");
        w.putArray(TOKENS, GgufValueType.STRING, tokens);
        w.putArray(SCORES, GgufValueType.FLOAT32, scores);
        putTypes(w, tokenTypes);
        return putSpecials(w, tokens.size(), special);
    }

    /** tokenizer.ggml.model "gpt2": a byte-level BPE vocabulary with its merges and pre-tokenizer name. */
    public static GgufWriter putByteLevelBpe(GgufWriter w, String pre, List<String> tokens, List<Integer> tokenTypes,
                                             List<String> merges, SpecialTokens special) {
        check(tokens.size() == tokenTypes.size(), "tokens (" + tokens.size() + ") and token types (" + tokenTypes.size()
                + ") must have one entry per token");
        for (String m : merges) {
            int space = m.indexOf(' ');
            check(space > 0 && space < m.length() - 1 && m.indexOf(' ', space + 1) < 0,
                    "merge \"" + m + "\" must be two symbols separated by one space");
        }
        w.putString(TOKENIZER_MODEL, "gpt2").putString(TOKENIZER_PRE, pre);
        w.putArray(TOKENS, GgufValueType.STRING, tokens);
        putTypes(w, tokenTypes);
        w.putArray(MERGES, GgufValueType.STRING, merges);
        return putSpecials(w, tokens.size(), special);
    }

    /** tokenizer.chat_template: the Jinja template from tokenizer_config.json. */
    public static GgufWriter putChatTemplate(GgufWriter w, String template) {
        return w.putString(CHAT_TEMPLATE, template);
    }

    private static void putTypes(GgufWriter w, List<Integer> types) {
        for (int t : types) check(t >= 0 && t <= TokenType.BYTE.id, "token type " + t + " is not 0..6");
        w.putArray(TOKEN_TYPE, GgufValueType.INT32, types.stream().map(Integer::longValue).toList());
    }

    private static GgufWriter putSpecials(GgufWriter w, int vocab, SpecialTokens s) {
        putId(w, BOS_ID, s.bos(), vocab);
        putId(w, EOS_ID, s.eos(), vocab);
        putId(w, UNK_ID, s.unk(), vocab);
        putId(w, PAD_ID, s.pad(), vocab);
        w.putBool(ADD_BOS, s.addBos());
        w.putBool(ADD_EOS, s.addEos());
        return w;
    }

    private static void putId(GgufWriter w, String key, int id, int vocab) {
        if (id < 0) return;
        check(id < vocab, key + " = " + id + " is outside the vocabulary of " + vocab + " tokens");
        w.putUint32(key, id);
    }

    private static void check(boolean ok, String problem) {
        if (!ok) throw new IllegalArgumentException("tokenizer metadata: " + problem);
    }
}
