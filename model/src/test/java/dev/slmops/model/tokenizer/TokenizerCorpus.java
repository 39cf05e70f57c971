package dev.slmops.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The strings tokenizers are compared on: a hand-written list of nasty cases plus a seeded, deterministic
 * mix of scripts, code, emoji and ZWJ sequences, whitespace runs, numbers, contractions, special tokens and
 * random code points.
 */
final class TokenizerCorpus {
    private TokenizerCorpus() {
    }

    static final List<String> NASTY = List.of(
            "", " ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n\n", " \n", "\n ", " \t \n \r\n  x", "a\r\n\r\nb",
            "Hello world", " Hello world", "Hello  world", "Hello   world ", "hello\tworld\n", "trailing   ",
            "Once upon a time", "It's I'LL we'Ve they'RE don't I'm he'd you'll 'S 's", "''s", "'''", "x'", "'",
            "ſ 'ſ 'Ss", "'ſm", "x'ſt", "'ſ", "'K 'k 'K", "Ünïcödé façade naïve café", "e\u0301 a\u0308 o\u0303", "ﬁ ﬂ ①②③ ²³ ½ Ⅻ",
            "1", "12", "123", "1234", "12345", "123456789012345678901234567890", "3.14159 2,718 1e-10 -42 +7",
            "٣٤٥ ١٢٣ ๑๒๓ 一二三 ⅷ", "$100 €200 ¥300 £400", "x=1;y=22;z=333;w=4444",
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", "<|endoftext|>", "a<|endoftext|>b",
            "<|endoftext|><|endoftext|>", "<|im_start|><|im_end|>", " <|im_start|> ", "<|begin_of_text|>Hello",
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", "<|eot_id|> <|eot_id|>", "<think>\n</think>",
            "<|im_start", "<|endoftext", "|>", "<s>", "</s>", "<unk>", "<0x0A>", "[INST] hi [/INST]",
            "你好，世界！这是一个测试。", "日本語のテキストです。カタカナ、ひらがな。", "한국어 텍스트입니다.",
            "مرحبا بالعالم، هذا اختبار.", "नमस्ते दुनिया, यह एक परीक्षण है।", "Привет, мир! Это тест.",
            "สวัสดีชาวโลก นี่คือการทดสอบ", "Γειά σου Κόσμε", "שלום עולם", "Xin chào thế giới", "ሰላም ልዑል",
            "😀😃😄 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇺🇸🇯🇵 ❤️ ✊🏿", "👩🏽‍💻👨‍🚀", "a😀b", "😀 😀  😀",
            "def f(x):\n    return x**2  # square\n", "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}",
            "SELECT * FROM t WHERE id=1;", "<div class=\"x\">&nbsp;</div>", "{\"a\": [1, 2, {\"b\": null}]}",
            "    indented\n        more\n", "\u00A0nbsp\u00A0 \u3000ideographic\u3000space", "\u2028\u2029\u0085",
            "zero\u200Bwidth\u200Djoiner\uFEFF", "\u0000\u0001\u001F\u007F", "a\u0300\u0301\u0302\u0303",
            "ＡＢＣ１２３", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛", "𠀀𠀁 𪚥", "!!!???...,,,;;;", " !!! ??? ", "a.b,c;d:e", "--- *** ___",
            "https://example.com/path?q=1&r=2#frag", "user@example.com", "C:\\Windows\\System32", "~/dir/file.txt");

    /** The nasty list plus {@code randomCount} seeded random strings. */
    static List<String> build(long seed, int randomCount) {
        List<String> out = new ArrayList<>(NASTY);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < randomCount; i++) out.add(randomString(r));
        return out;
    }

    private static final String[] WORDS = {
            "the", "The", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "tokenizer", "language", "model",
            "Hello", "WORLD", "don't", "it's", "I'LL", "we've", "they're", "I'm", "she'd", "antidisestablishmentarianism",
            "你好", "世界", "中文", "测试", "日本語", "テスト", "ひらがな", "한국어", "مرحبا", "العربية", "नमस्ते",
            "हिन्दी", "Привет", "мир", "русский", "สวัสดี", "ภาษาไทย", "Ελληνικά", "עברית", "Tiếng", "Việt",
            "naïve", "café", "Straße", "Ærøskøbing", "ﬁnance", "e\u0301", "a\u0308", "İstanbul", "ǅ", "ß"};
    private static final String[] CODE = {
            "def ", "return ", "if (x == 0) {", "}", "();", "->", "=>", "::", "#include <stdio.h>", "int main()",
            "x += 1;", "arr[i]", "\"str\"", "'c'", "/* c */", "// note", "#!", "$var", "@decorator", "0xFF",
            "λx.x", "a && b || !c", "<tag>", "</tag>", "{{ jinja }}", "`tick`", "%s", "\\n", "\\\\"};
    private static final String[] EMOJI = {
            "😀", "👍", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷", "❤️", "🧑🏿‍🤝‍🧑🏻", "🤖", "✨", "🔥", "👩‍❤️‍💋‍👨", "☕", "⚡️"};
    private static final String[] SPACES = {
            " ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r", " \n", "\n ", " \t", "\u00A0", "\u3000",
            "\u2003", "        ", "\n\n\n\n", "\r\n\r\n", " \r\n "};
    private static final String[] SPECIAL = {
            "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>",
            "<|start_header_id|>", "<|end_header_id|>", "<think>", "</think>", "<tool_call>", "<|reserved_special_token_5|>",
            "<|im_start", "im_end|>", "<s>", "</s>"};
    private static final String[] CONTRACTIONS = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'Re", "'D", "'x"};
    private static final String PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»“”‘’—–…·•§¶†‡‰′″€£¥₹";

    private static String randomString(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        int parts = 1 + r.nextInt(r.nextInt(4) == 0 ? 40 : 12);
        for (int p = 0; p < parts; p++) {
            switch (r.nextInt(11)) {
                case 0, 1, 2 -> sb.append(WORDS[r.nextInt(WORDS.length)]);
                case 3 -> sb.append(CODE[r.nextInt(CODE.length)]);
                case 4 -> sb.append(EMOJI[r.nextInt(EMOJI.length)]);
                case 5 -> sb.append(SPACES[r.nextInt(SPACES.length)]);
                case 6 -> {
                    int len = 1 + r.nextInt(r.nextInt(3) == 0 ? 25 : 6);
                    for (int k = 0; k < len; k++) sb.append((char) ('0' + r.nextInt(10)));
                }
                case 7 -> sb.append(r.nextInt(6) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : CONTRACTIONS[r.nextInt(CONTRACTIONS.length)]);
                case 8 -> {
                    int len = 1 + r.nextInt(4);
                    for (int k = 0; k < len; k++) sb.append(PUNCT.charAt(r.nextInt(PUNCT.length())));
                }
                case 9 -> {
                    int len = 1 + r.nextInt(6);
                    for (int k = 0; k < len; k++) sb.appendCodePoint(randomCodePoint(r));
                }
                default -> sb.append(' ');
            }
            if (r.nextInt(3) == 0) sb.append(' ');
        }
        return sb.toString();
    }

    /** A random assigned, non-surrogate, non-private-use code point, biased towards common blocks. */
    static int randomCodePoint(SplittableRandom r) {
        while (true) {
            int cp = switch (r.nextInt(5)) {
                case 0 -> r.nextInt(0x80, 0x800);
                case 1 -> r.nextInt(0x800, 0x3000);
                case 2 -> r.nextInt(0x3000, 0xFFFF);
                case 3 -> r.nextInt(0x10000, 0x2FFFF);
                default -> r.nextInt(0x20, 0x7F);
            };
            int type = Character.getType(cp);
            if (type == Character.SURROGATE || type == Character.PRIVATE_USE || type == Character.UNASSIGNED) continue;
            return cp;
        }
    }
}
