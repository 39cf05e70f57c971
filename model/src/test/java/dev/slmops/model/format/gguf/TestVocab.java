package dev.slmops.model.format.gguf;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.slmops.model.format.gguf.GgufKeys.*;

/**
 * Hand-made tokenizer.ggml.* metadata for test models, in the map form {@code Tokenizer#toGgufMetadata()} returns,
 * written through {@link GgufTokenizerMetadata} as the converter writes a real tokenizer's.
 */
final class TestVocab {
    private TestVocab() {
    }

    /** Special token ids (-1: none) and whether llama.cpp adds BOS/EOS when tokenizing with specials. */
    record SpecialTokens(int bos, int eos, int unk, int pad, boolean addBos, boolean addEos) {
    }

    /** tokenizer.ggml.model "llama": a SentencePiece vocabulary. */
    static GgufWriter putSentencePiece(GgufWriter w, List<String> tokens, List<Float> scores, List<Integer> tokenTypes,
                                       SpecialTokens special) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(TOKENIZER_MODEL, "llama");
        m.put(TOKENIZER_PRE, "default");
        m.put(TOKENS, tokens);
        m.put(SCORES, scores);
        m.put(TOKEN_TYPE, tokenTypes.stream().map(Integer::longValue).toList());
        return GgufTokenizerMetadata.put(w, withSpecials(m, special));
    }

    /** tokenizer.ggml.model "gpt2": a byte-level BPE vocabulary with its merges and pre-tokenizer name. */
    static GgufWriter putByteLevelBpe(GgufWriter w, String pre, List<String> tokens, List<Integer> tokenTypes,
                                      List<String> merges, SpecialTokens special) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(TOKENIZER_MODEL, "gpt2");
        m.put(TOKENIZER_PRE, pre);
        m.put(TOKENS, tokens);
        m.put(TOKEN_TYPE, tokenTypes.stream().map(Integer::longValue).toList());
        m.put(MERGES, merges);
        return GgufTokenizerMetadata.put(w, withSpecials(m, special));
    }

    private static Map<String, Object> withSpecials(Map<String, Object> m, SpecialTokens s) {
        if (s.bos() >= 0) m.put(BOS_ID, (long) s.bos());
        if (s.eos() >= 0) m.put(EOS_ID, (long) s.eos());
        if (s.unk() >= 0) m.put(UNK_ID, (long) s.unk());
        if (s.pad() >= 0) m.put(PAD_ID, (long) s.pad());
        m.put(ADD_BOS, s.addBos());
        m.put(ADD_EOS, s.addEos());
        return m;
    }
}
