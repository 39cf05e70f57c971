package dev.slmops.model.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Finds added tokens in text: leftmost match first, the longest token among those starting there (the
 * aho-corasick LeftmostLongest order of tokenizers), then the single_word / lstrip / rstrip rules.
 */
final class AddedTokenMatcher {
    /** first UTF-16 char -> tokens starting with it, longest first; null where none starts with it. */
    private final AddedToken[][] byFirstChar = new AddedToken[0x10000][];
    private final boolean empty;

    AddedTokenMatcher(List<AddedToken> tokens) {
        List<List<AddedToken>> lists = new ArrayList<>();
        for (int i = 0; i < 0x10000; i++) lists.add(null);
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            char c = t.content().charAt(0);
            if (lists.get(c) == null) lists.set(c, new ArrayList<>());
            lists.get(c).add(t);
        }
        boolean any = false;
        for (int c = 0; c < 0x10000; c++) {
            List<AddedToken> l = lists.get(c);
            if (l == null) continue;
            l.sort(Comparator.comparingInt((AddedToken t) -> -t.content().length()));
            byFirstChar[c] = l.toArray(new AddedToken[0]);
            any = true;
        }
        empty = !any;
    }

    boolean isEmpty() {
        return empty;
    }

    /**
     * Splits {@code s[from, to)} into segments, appending {@code start, end, id} triples to {@code out};
     * id is -1 for plain text. Segments tile the range.
     */
    void split(String s, int from, int to, IntList out) {
        if (empty) {
            if (to > from) add(out, from, to, -1);
            return;
        }
        int textStart = from;
        int i = from;
        while (i < to) {
            AddedToken[] candidates = byFirstChar[s.charAt(i)];
            AddedToken hit = null;
            if (candidates != null) {
                for (AddedToken t : candidates) {
                    int len = t.content().length();
                    if (i + len <= to && s.startsWith(t.content(), i)
                            && (!t.singleWord() || standsAlone(s, i, i + len, from, to))) {
                        hit = t;
                        break;
                    }
                }
            }
            if (hit == null) {
                i++;
                continue;
            }
            int start = i, end = i + hit.content().length();
            if (hit.lstrip()) {
                while (start > textStart && CharClass.isWhiteSpace(s.charAt(start - 1))) start--;
            }
            if (hit.rstrip()) {
                while (end < to && CharClass.isWhiteSpace(s.charAt(end))) end++;
            }
            if (start > textStart) add(out, textStart, start, -1);
            add(out, start, end, hit.id());
            textStart = end;
            i = end;
        }
        if (to > textStart) add(out, textStart, to, -1);
    }

    private static boolean standsAlone(String s, int start, int end, int from, int to) {
        if (start > from && isWordChar(s.codePointBefore(start))) return false;
        return end >= to || !isWordChar(s.codePointAt(end));
    }

    private static boolean isWordChar(int c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private static void add(IntList out, int start, int end, int id) {
        out.add(start);
        out.add(end);
        out.add(id);
    }
}
