package dev.slmops.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class VocabularyTest {
    /** The id table against a HashMap of first occurrences: holes, repeated strings, colliding hashes, misses. */
    @Test
    void idsAreTheFirstOccurrences() {
        Random rnd = new Random(3);
        String[] tokens = new String[50_000];
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            if (i % 97 == 0) continue; // a hole
            tokens[i] = switch (i % 5) {
                case 0 -> "Aa" + (i % 1000);          // "Aa" and "BB" have the same String hash
                case 1 -> "BB" + (i % 1000);
                case 2 -> "\u0120tok" + rnd.nextInt(20_000); // repeats
                default -> Integer.toString(i, 36);
            };
            first.putIfAbsent(tokens[i], i);
        }
        Vocabulary v = new Vocabulary(tokens);
        first.forEach((s, id) -> assertThat(v.id(s)).as(s).isEqualTo(id));
        assertThat(v.id("not in it")).isEqualTo(-1);
        assertThat(v.tokenId("\u0120")).isEmpty();
        assertThat(v.size()).isEqualTo(tokens.length);
        assertThat(new Vocabulary(new String[0]).id("a")).isEqualTo(-1);
    }
}
