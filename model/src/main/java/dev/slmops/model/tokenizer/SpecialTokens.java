package dev.slmops.model.tokenizer;

import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The special tokens a model uses: begin/end of sequence, padding and unknown. Absent ones are empty.
 *
 * @param eosIds every id that ends a sequence (Llama-3 instruct: {@code <|end_of_text|>} and {@code <|eot_id|>});
 *               the first is the primary EOS
 */
public record SpecialTokens(OptionalInt bos, int[] eosIds, OptionalInt pad, OptionalInt unk,
                            Optional<String> bosText, Optional<String> eosText,
                            Optional<String> padText, Optional<String> unkText) {

    public SpecialTokens {
        eosIds = eosIds.clone();
    }

    @Override
    public int[] eosIds() {
        return eosIds.clone();
    }

    /** The primary EOS id. */
    public OptionalInt eos() {
        return eosIds.length == 0 ? OptionalInt.empty() : OptionalInt.of(eosIds[0]);
    }

    public boolean isEos(int id) {
        for (int e : eosIds) if (e == id) return true;
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpecialTokens s && bos.equals(s.bos) && Arrays.equals(eosIds, s.eosIds)
                && pad.equals(s.pad) && unk.equals(s.unk) && bosText.equals(s.bosText)
                && eosText.equals(s.eosText) && padText.equals(s.padText) && unkText.equals(s.unkText);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(eosIds) + bos.hashCode() + pad.hashCode() * 7 + unk.hashCode() * 13;
    }

    @Override
    public String toString() {
        return "SpecialTokens[bos=" + bos + " " + bosText.orElse("") + ", eos=" + Arrays.toString(eosIds) + " "
                + eosText.orElse("") + ", pad=" + pad + ", unk=" + unk + "]";
    }
}
