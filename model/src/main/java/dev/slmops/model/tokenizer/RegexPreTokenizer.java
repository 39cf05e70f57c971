package dev.slmops.model.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A split regex run by java.util.regex, with tokenizers' "Isolated" behaviour: every match is a piece and
 * so is every stretch between matches. This is the naive reference the hand-written scanners are tested
 * against, and the fallback for regexes no scanner implements. {@code UNICODE_CHARACTER_CLASS} makes
 * {@code \s} the White_Space property and {@code (?i)} Unicode-aware, as in Oniguruma. One difference is
 * patched: Oniguruma's case folding lets {@code (?i)'s} match {@code 'ſ} (U+017F LONG S folds to s; Hugging
 * Face splits "'ſm" as "'ſ" "m"), java.util.regex does not, so the contraction group is rewritten with
 * explicit classes.
 */
final class RegexPreTokenizer implements PreTokenizer {
    private static final String CONTRACTIONS_I = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
    private static final String CONTRACTIONS_ONIG = "(?:'[sSſ]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

    private final Pattern pattern;

    RegexPreTokenizer(String regex) {
        this.pattern = Pattern.compile(regex.replace(CONTRACTIONS_I, CONTRACTIONS_ONIG), Pattern.UNICODE_CHARACTER_CLASS);
    }

    @Override
    public void split(String s, int from, int to, IntList ends) {
        Matcher m = pattern.matcher(s).region(from, to);
        m.useTransparentBounds(false).useAnchoringBounds(false);
        int last = from;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (m.start() > last) ends.add(m.start());
            ends.add(m.end());
            last = m.end();
        }
        if (last < to) ends.add(to);
    }
}
