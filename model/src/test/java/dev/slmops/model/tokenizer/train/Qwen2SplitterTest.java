package dev.slmops.model.tokenizer.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The hand-written splitter against java.util.regex running the Qwen2 pattern itself. */
class Qwen2SplitterTest {
    private static final Pattern REGEX = Pattern.compile(WordCounter.QWEN2_SPLIT, Pattern.UNICODE_CHARACTER_CLASS);

    static List<String> byRegex(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = REGEX.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (m.start() > last) pieces.add(text.substring(last, m.start()));
            pieces.add(m.group());
            last = m.end();
        }
        if (last < text.length()) pieces.add(text.substring(last));
        return pieces;
    }

    static List<String> bySplitter(String text) {
        List<String> pieces = new ArrayList<>();
        Qwen2Splitter.split(text, (t, s, e) -> pieces.add(t.substring(s, e)));
        return pieces;
    }

    @Test
    void matchesTheRegexOnTheBuiltinCorpus() {
        for (String doc : BuiltinCorpus.documents()) assertThat(bySplitter(doc)).as(doc).isEqualTo(byRegex(doc));
    }

    @Test
    void matchesTheRegexOnHandPickedCases() {
        for (String s : List.of("", "a", " ", "  ", "\n", " \n ", "\n a", "  a", "\t\tx", "a  ", "x \u00a0y",
                "'s 'S 'ſ 're 'RE 'Ll 'x '", "don't", "1234 ١٢ ⅷ ²", "..., !?\n\n\r\nz", " .a", " \u3000\n\u2028 b",
                "emoji 🙂👍🏽", "𝔘𝔫𝔦 \uD835", "\uDC00lone", "e\u0301", "x\u0085y", "a\r\r\n\n  \t", "$12.50", "#!/bin/sh")) {
            assertThat(bySplitter(s)).as("split of %s", s).isEqualTo(byRegex(s));
        }
    }

    @Test
    void matchesTheRegexOnRandomStrings() {
        // characters from every class the regex distinguishes, several of each
        int[] alphabet = {'a', 'Z', 's', 'S', 'e', 'l', 'L', 'r', 'v', 'd', 't', 'm', 'ſ', '\u212A', 'é', 'ß', 'Ω', 'ж',
                '中', 'あ', 'ー', '0', '9', '٣', 'Ⅻ', '½', '\'', '"', '.', ',', '-', '_', '(', '€', '\u0301', ' ', ' ',
                '\t', '\n', '\r', '\u000B', '\u000C', '\u0085', '\u00A0', '\u2003', '\u2028', '\u3000', '\u200B',
                0x1F642, 0x1D518, 0x20000, 0xD800, 0xDC00};
        Random r = new Random(2026);
        for (int trial = 0; trial < 10_000; trial++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(24);
            for (int i = 0; i < len; i++) sb.appendCodePoint(alphabet[r.nextInt(alphabet.length)]);
            String s = sb.toString();
            assertThat(bySplitter(s)).as("split of %s", s.codePoints().mapToObj(Integer::toHexString).toList())
                    .isEqualTo(byRegex(s));
        }
    }
}
