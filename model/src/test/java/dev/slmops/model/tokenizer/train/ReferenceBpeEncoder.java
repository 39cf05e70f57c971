package dev.slmops.model.tokenizer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deliberately plain encoder for the files {@link HfTokenizerFiles} writes, read back from the JSON: cut out
 * added tokens (leftmost, longest), NFC, split with the regex the file declares, map bytes to the byte-level
 * alphabet, then repeatedly apply the lowest-ranked merge present (leftmost first). Tests compare it with
 * Hugging Face's Rust tokenizers to prove the files say what the trainer learned.
 */
final class ReferenceBpeEncoder {
    private final Map<String, Integer> vocab = new HashMap<>();
    private final Map<String, Integer> rank = new HashMap<>();
    private final Map<String, Integer> added = new HashMap<>();
    private final Pattern split;

    ReferenceBpeEncoder(Path tokenizerJson) throws IOException {
        JsonNode root = new ObjectMapper().readTree(tokenizerJson.toFile());
        root.path("model").path("vocab").properties().forEach(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        int r = 0;
        for (JsonNode m : root.path("model").path("merges")) rank.put(m.asText(), r++);
        for (JsonNode t : root.path("added_tokens")) added.put(t.path("content").asText(), t.path("id").asInt());
        String regex = root.path("pre_tokenizer").path("pretokenizers").get(0).path("pattern").path("Regex").asText();
        split = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    List<Integer> encode(String text) {
        List<Integer> ids = new ArrayList<>();
        int from = 0;
        while (from <= text.length()) {
            int at = text.length();
            String hit = null;
            for (String a : added.keySet()) {
                int i = text.indexOf(a, from);
                if (i >= 0 && (i < at || (i == at && hit != null && a.length() > hit.length()))) {
                    at = i;
                    hit = a;
                }
            }
            encodeText(text.substring(from, at), ids);
            if (hit == null) break;
            ids.add(added.get(hit));
            from = at + hit.length();
        }
        return ids;
    }

    private void encodeText(String raw, List<Integer> ids) {
        String text = Normalizer.normalize(raw, Normalizer.Form.NFC);
        Matcher m = split.matcher(text);
        int last = 0;
        List<String> pieces = new ArrayList<>();
        while (m.find()) {
            if (m.start() > last) pieces.add(text.substring(last, m.start()));
            if (m.end() > m.start()) pieces.add(m.group());
            last = m.end();
        }
        if (last < text.length()) pieces.add(text.substring(last));
        for (String p : pieces) {
            List<String> symbols = new ArrayList<>();
            for (byte b : p.getBytes(StandardCharsets.UTF_8)) symbols.add(String.valueOf(ByteLevelAlphabet.charOf(b & 0xFF)));
            while (true) {
                int best = -1, bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    Integer rk = rank.get(symbols.get(i) + " " + symbols.get(i + 1));
                    if (rk != null && rk < bestRank) {
                        bestRank = rk;
                        best = i;
                    }
                }
                if (best < 0) break;
                symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
            }
            for (String s : symbols) ids.add(vocab.get(s));
        }
    }
}
