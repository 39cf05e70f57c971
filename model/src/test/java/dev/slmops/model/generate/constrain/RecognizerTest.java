package dev.slmops.model.generate.constrain;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The byte-level JSON recognizer against Jackson's parser, on generated and mutated documents. */
class RecognizerTest {
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    @Test
    void acceptsWhatJacksonWritesAndRejectsWhatJacksonRejects() throws Exception {
        var grammar = JsonConstraints.anyObject();
        SplittableRandom random = new SplittableRandom(7);
        int accepted = 0, rejected = 0;
        for (int i = 0; i < 400; i++) {
            ObjectNode doc = randomObject(random, 0);
            String text = random.nextBoolean() ? STRICT.writeValueAsString(doc)
                    : STRICT.writerWithDefaultPrettyPrinter().writeValueAsString(doc);
            assertThat(grammar.matches(text)).as(text).isTrue();
            for (int m = 0; m < 5; m++) {
                String mutated = mutate(text, random);
                if (mutated.isEmpty() || Character.isWhitespace(mutated.charAt(mutated.length() - 1))) continue;
                // Number parts are capped by design (16 integer and fraction digits, 3 exponent digits).
                if (mutated.matches("(?s).*(\\d{17}|[eE][+-]?\\d{4}).*")) continue;
                boolean jackson = jacksonObject(mutated);
                assertThat(grammar.matches(mutated)).as("%s (Jackson: %s)", mutated, jackson).isEqualTo(jackson);
                if (jackson) accepted++; else rejected++;
            }
        }
        assertThat(accepted).isPositive();
        assertThat(rejected).isPositive();
    }

    @Test
    void prefixesOfValidDocumentsStayAlive() throws Exception {
        var grammar = JsonConstraints.anyObject();
        Recognizer r = new Recognizer(grammar.root, Integer.MAX_VALUE, Integer.MAX_VALUE);
        String text = "{\"a\": [1, -2.5e+3, true, null, {\"b\": \"x\\u00e9\\n日本🎉\"}], \"c\": {}}";
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Recognizer.State s = r.start();
        for (int i = 0; i < b.length; i++) {
            assertThat(s.isComplete()).as("complete after %d bytes", i).isFalse();
            s = s.advance(b[i] & 0xFF);
            assertThat(s).as("alive after %d bytes", i + 1).isNotNull();
        }
        assertThat(s.isComplete()).isTrue();
        assertThat(s.canContinue()).as("nothing after the root object").isFalse();
    }

    @Test
    void refusesInvalidUtf8AndRawControlCharacters() {
        var grammar = JsonConstraints.anyObject();
        Recognizer.State s = new Recognizer(grammar.root, 16, 32).start().advance("{\"a\":\"".getBytes());
        assertThat(s.advance(0x80)).as("lone continuation byte").isNull();
        assertThat(s.advance(0xC0)).as("overlong lead byte").isNull();
        assertThat(s.advance(new byte[]{(byte) 0xE0, (byte) 0x80})).as("overlong 3-byte form").isNull();
        assertThat(s.advance(new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80})).as("UTF-8 surrogate").isNull();
        assertThat(s.advance('\n')).as("raw newline in a string").isNull();
        assertThat(s.advance("\\q".getBytes())).as("unknown escape").isNull();
        assertThat(s.advance("\\ud800".getBytes())).as("lone surrogate escape").isNull();
    }

    private static boolean jacksonObject(String text) {
        try {
            JsonNode n = STRICT.readTree(text);
            return n != null && n.isObject();
        } catch (Exception e) {
            return false;
        }
    }

    private static String mutate(String s, SplittableRandom random) {
        String alphabet = "{}[]\",:0123456789.eE+-tfnul \\/abc\n";
        int at = random.nextInt(s.length() + 1);
        return switch (random.nextInt(3)) {
            case 0 -> s.substring(0, at) + alphabet.charAt(random.nextInt(alphabet.length())) + s.substring(at);
            case 1 -> at < s.length() ? s.substring(0, at) + s.substring(at + 1) : s;
            default -> at < s.length() ? s.substring(0, at) + alphabet.charAt(random.nextInt(alphabet.length()))
                    + s.substring(at + 1) : s;
        };
    }

    static ObjectNode randomObject(SplittableRandom random, int depth) {
        ObjectNode o = F.objectNode();
        int n = random.nextInt(depth > 2 ? 2 : 4);
        for (int i = 0; i < n; i++) o.set(randomString(random), randomValue(random, depth + 1));
        return o;
    }

    private static JsonNode randomValue(SplittableRandom random, int depth) {
        return switch (random.nextInt(depth > 2 ? 6 : 8)) {
            case 0 -> F.textNode(randomString(random));
            case 1 -> F.numberNode(random.nextInt(-100000, 100000));
            case 2 -> F.numberNode(random.nextDouble() * 1e3 - 500);
            case 3 -> F.booleanNode(random.nextBoolean());
            case 4 -> F.nullNode();
            case 5 -> F.numberNode(0);
            case 6 -> randomObject(random, depth);
            default -> {
                ArrayNode a = F.arrayNode();
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) a.add(randomValue(random, depth + 1));
                yield a;
            }
        };
    }

    private static String randomString(SplittableRandom random) {
        String chars = "abcXYZ09 _-\"\\/\n\té日🎉\u0001";
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(6);
        for (int i = 0; i < n; i++) sb.appendCodePoint(chars.codePoints().toArray()[random.nextInt(chars.codePointCount(0, chars.length()))]);
        return sb.toString();
    }

    static {
        STRICT.configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, false);
    }
}
