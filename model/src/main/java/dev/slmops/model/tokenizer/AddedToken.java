package dev.slmops.model.tokenizer;

/**
 * A token matched in the text before BPE runs, as tokenizers' {@code AddedToken} (tokenizer.json
 * {@code added_tokens}) or llama.cpp's CONTROL / USER_DEFINED tokens.
 *
 * @param singleWord only match when not inside a word (no letter, digit or '_' touching either side)
 * @param lstrip     the match also takes the whitespace on its left
 * @param rstrip     the match also takes the whitespace on its right
 * @param normalized matched in the normalized text (else in the raw text, before normalization)
 * @param special    a control token: skipped by decode(ids, skipSpecial=true)
 */
record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                  boolean normalized, boolean special) {
}
