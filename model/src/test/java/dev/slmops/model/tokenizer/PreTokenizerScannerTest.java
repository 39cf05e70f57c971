package dev.slmops.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each hand-written scanner against its regex run by java.util.regex (the naive reference), on the corpus
 * and on dense random strings of the characters the regexes care about.
 */
class PreTokenizerScannerTest {

    @Test
    void gpt2ScannerEqualsRegex() {
        check(new Gpt2Scanner(), new RegexPreTokenizer(PreTokenizerPatterns.GPT2));
    }

    @Test
    void llama3ScannerEqualsRegex() {
        check(new Llama3Scanner(3, true), new RegexPreTokenizer(PreTokenizerPatterns.LLAMA3));
        check(new Llama3Scanner(3, false), new RegexPreTokenizer(PreTokenizerPatterns.LLAMA3_LLAMACPP));
    }

    @Test
    void qwen2ScannerEqualsRegex() {
        check(new Llama3Scanner(1, true), new RegexPreTokenizer(PreTokenizerPatterns.QWEN2));
        check(new Llama3Scanner(1, false), new RegexPreTokenizer(PreTokenizerPatterns.QWEN2_LLAMACPP));
    }

    @Test
    void smollmDigitsThenGpt2EqualsLlamaCppRegexes() {
        check(PreTokenizer.sequence(new DigitsPreTokenizer(true), new Gpt2Scanner()),
                PreTokenizer.sequence(new RegexPreTokenizer("\\p{N}"), new RegexPreTokenizer(PreTokenizerPatterns.GPT2)));
    }

    @Test
    void scannersAreFoundForTheKnownPatterns() {
        assertThat(PreTokenizerPatterns.scannerFor(PreTokenizerPatterns.GPT2)).isInstanceOf(Gpt2Scanner.class);
        assertThat(PreTokenizerPatterns.scannerFor(PreTokenizerPatterns.LLAMA3)).isInstanceOf(Llama3Scanner.class);
        assertThat(PreTokenizerPatterns.scannerFor(PreTokenizerPatterns.QWEN2)).isInstanceOf(Llama3Scanner.class);
        assertThat(PreTokenizerPatterns.scannerFor("\\w+")).isNull();
    }

    @Test
    void llama3SplitsAsDocumented() {
        assertThat(pieces(new Llama3Scanner(3, true), "Hello world's 12345 !!\n\n  x  "))
                .containsExactly("Hello", " world", "'s", " ", "123", "45", " !!\n\n", " ", " x", "  ");
    }

    private static final String ALPHABET = "aZé中ß 1２٣'’sStTlLdDmMrReEvV.,!?-_\t\n\r\u00A0\u3000\u2028😀👍🏽\u0301ſ";

    private static void check(PreTokenizer fast, PreTokenizer reference) {
        List<String> inputs = new ArrayList<>(TokenizerCorpus.build(99, 2000));
        SplittableRandom r = new SplittableRandom(5);
        int[] cps = ALPHABET.codePoints().toArray();
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = 0, n = r.nextInt(24); k < n; k++) {
                sb.appendCodePoint(r.nextInt(8) == 0 ? TokenizerCorpus.randomCodePoint(r) : cps[r.nextInt(cps.length)]);
            }
            inputs.add(sb.toString());
        }
        int compared = 0;
        for (String s : inputs) {
            assertThat(pieces(fast, s)).as("pieces of %s", HfParityTest.escape(s)).isEqualTo(pieces(reference, s));
            // a sub-range, as the tokenizer passes text between added tokens
            if (s.length() > 4 && !Character.isLowSurrogate(s.charAt(2)) && !Character.isHighSurrogate(s.charAt(s.length() - 2))) {
                assertThat(range(fast, s, 2, s.length() - 1)).isEqualTo(range(reference, s, 2, s.length() - 1));
            }
            compared++;
        }
        System.out.println(fast.getClass().getSimpleName() + ": " + compared + " strings split identically to java.util.regex");
    }

    static List<String> pieces(PreTokenizer p, String s) {
        return range(p, s, 0, s.length());
    }

    static List<String> range(PreTokenizer p, String s, int from, int to) {
        IntList ends = new IntList(8);
        p.split(s, from, to, ends);
        List<String> out = new ArrayList<>();
        int start = from;
        for (int e : Arrays.copyOf(ends.a, ends.size)) {
            out.add(s.substring(start, e));
            start = e;
        }
        return out;
    }
}
