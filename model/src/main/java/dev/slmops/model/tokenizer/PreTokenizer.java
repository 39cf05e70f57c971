package dev.slmops.model.tokenizer;

/**
 * Splits text into the pieces ("words") that BPE encodes one by one.
 * Pieces are contiguous and cover the range: only their end offsets are reported.
 */
interface PreTokenizer {

    /**
     * Splits {@code s[from, to)} (UTF-16 char offsets, never inside a surrogate pair) and appends the end
     * offset of each piece, in order, to {@code ends}; the last one appended is {@code to} (nothing is
     * appended for an empty range).
     */
    void split(String s, int from, int to, IntList ends);

    /** The identity: the whole range is one piece. */
    PreTokenizer WHOLE = (s, from, to, ends) -> {
        if (to > from) ends.add(to);
    };

    /** Applies {@code stages} in order, each to every piece the previous stage produced. */
    static PreTokenizer sequence(PreTokenizer... stages) {
        if (stages.length == 0) return WHOLE;
        if (stages.length == 1) return stages[0];
        return (s, from, to, ends) -> {
            IntList current = new IntList(16);
            stages[0].split(s, from, to, current);
            for (int k = 1; k < stages.length; k++) {
                IntList next = new IntList(current.size + 8);
                int start = from;
                for (int i = 0; i < current.size; i++) {
                    stages[k].split(s, start, current.a[i], next);
                    start = current.a[i];
                }
                current = next;
            }
            ends.addAll(current.a, current.size);
        };
    }
}
