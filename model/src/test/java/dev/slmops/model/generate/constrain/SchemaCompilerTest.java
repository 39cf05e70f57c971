package dev.slmops.model.generate.constrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Schemas outside the subset fail with a message naming the place and the feature; patterns agree with java.util.regex. */
class SchemaCompilerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static void refused(String schema, String pointer, String fragment) {
        assertThatThrownBy(() -> JsonConstraints.schema(JSON.readTree(schema)))
                .isInstanceOf(SchemaException.class)
                .hasMessageContaining(fragment)
                .satisfies(e -> assertThat(((SchemaException) e).pointer()).isEqualTo(pointer));
    }

    @Test
    void unsupportedFeaturesAreNamed() {
        refused("{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\",\"minimum\":0}}}", "/properties/age",
                "\"minimum\" is not supported");
        refused("{\"oneOf\":[{\"type\":\"string\"}]}", "", "\"oneOf\" is not supported");
        refused("{\"type\":\"string\",\"pattern\":\"(?=a)b\"}", "/pattern", "look-around");
        refused("{\"type\":\"string\",\"pattern\":\"\\\\bword\"}", "/pattern", "word boundaries");
        refused("{\"$ref\":\"https://example.com/s.json\"}", "/$ref", "only local references");
        refused("{\"$ref\":\"#/$defs/Missing\"}", "/$ref", "names nothing");
        refused("{\"type\":\"object\",\"properties\":{},\"required\":[\"x\"],\"additionalProperties\":false}", "/required",
                "not among the properties");
        refused("{\"type\":\"string\",\"minLength\":3,\"maxLength\":2}", "", "below minLength");
        refused("{\"type\":\"strin\"}", "/type", "unknown type \"strin\"");
        refused("{\"type\":\"array\",\"maxItems\":-1}", "/maxItems", "non-negative integer");
        refused("false", "", "allows no value");
    }

    @Test
    void responseFormats() throws Exception {
        assertThat(JsonConstraints.forResponseFormat(null)).isEmpty();
        assertThat(JsonConstraints.forResponseFormat(JSON.readTree("{\"type\":\"text\"}"))).isEmpty();
        assertThat(JsonConstraints.forResponseFormat(JSON.readTree("{\"type\":\"json_object\"}")).orElseThrow()
                .matches("{\"a\": [1]}")).isTrue();
        var g = JsonConstraints.forResponseFormat(JSON.readTree(
                "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"strict\":true,\"schema\":{\"type\":\"boolean\"}}}"));
        assertThat(g.orElseThrow().matches("true")).isTrue();
        assertThatThrownBy(() -> JsonConstraints.forResponseFormat(JSON.readTree("{\"type\":\"yaml\"}")))
                .isInstanceOf(SchemaException.class).hasMessageContaining("got \"yaml\"");
        assertThatThrownBy(() -> JsonConstraints.forResponseFormat(JSON.readTree("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}}")))
                .isInstanceOf(SchemaException.class).hasMessageContaining("needs a \"schema\"");
    }

    @Test
    void annotationsAndFormatAreAccepted() throws Exception {
        var g = JsonConstraints.schema(JSON.readTree("""
                {"title":"T","description":"d","type":"object","properties":{
                  "when":{"type":"string","format":"date-time","description":"x"},
                  "n":{"type":["integer","null"],"default":null}},"required":["when","n"],"additionalProperties":false}"""));
        assertThat(g.matches("{\"when\":\"2024-01-01T00:00:00Z\",\"n\":null}")).isTrue();
        assertThat(g.matches("{\"when\":\"x\",\"n\":1.5}")).isFalse();
        assertThat(g.matches("{\"n\":1,\"when\":\"x\"}")).as("declaration order").isFalse();
    }

    @Test
    void recursiveRefs() throws Exception {
        var g = JsonConstraints.schema(JSON.readTree("""
                {"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
                  "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v","kids"],"additionalProperties":false}},
                 "$ref":"#/$defs/node"}"""));
        assertThat(g.matches("{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[]},{\"v\":3,\"kids\":[{\"v\":4,\"kids\":[]}]}]}")).isTrue();
        assertThat(g.matches("{\"v\":1,\"kids\":[{\"v\":2}]}")).isFalse();
    }

    @Test
    void patternsAgreeWithJavaUtilRegex() {
        List<String> patterns = List.of("^[a-z]{2,5}$", "^\\d{3}-\\d{4}$", "^(red|green|blue)$", "ab+c", "^a.c",
                "x?y*z$", "^[^a-c]+$", "^(?:ab|cd){1,3}$", "^\\w+@\\w+\\.(com|org)$", "^[A-Z][a-z]*\\s\\S$", "^$", "é+");
        String alphabet = "abcdxyzABC019-@. é";
        SplittableRandom random = new SplittableRandom(1);
        for (String p : patterns) {
            Regex ours = Regex.compile(p);
            Pattern theirs = Pattern.compile(p);
            int agreedMatches = 0;
            for (int i = 0; i < 3000; i++) {
                StringBuilder sb = new StringBuilder();
                int n = random.nextInt(9);
                for (int k = 0; k < n; k++) sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
                String s = i % 3 == 0 ? sample(p, random) : sb.toString();
                boolean expected = theirs.matcher(s).find();
                assertThat(ours.matches(s)).as("/%s/ on '%s'", p, s).isEqualTo(expected);
                if (expected) agreedMatches++;
            }
            assertThat(agreedMatches).as("/%s/ matched something", p).isPositive();
        }
    }

    /** Strings likely to match, so that both outcomes are exercised. */
    private static String sample(String p, SplittableRandom r) {
        String[] likely = {"abc", "red", "green", "555-1234", "abbbc", "abc", "yyz", "xyz", "dd", "abcd", "al@b.com",
                "Ab 9", "", "é", "ééx", "cdab"};
        return likely[r.nextInt(likely.length)];
    }
}
