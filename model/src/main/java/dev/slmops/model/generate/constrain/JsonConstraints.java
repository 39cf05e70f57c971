package dev.slmops.model.generate.constrain;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Entry point for structured output: compile once per request (or cache by schema), then make one
 * {@link TokenConstraint} per generated sequence.
 *
 * <pre>{@code
 * JsonGrammar g = JsonConstraints.schema(schemaNode);          // throws SchemaException (HTTP 400)
 * TokenConstraint c = g.constraint(TokenVocabulary.of(tokenizer));
 * generator.generate(prompt, params, cache, listener, c);
 * }</pre>
 */
public final class JsonConstraints {
    /** Whitespace bytes in a row allowed between JSON tokens (enough for pretty-printing a few levels deep). */
    public static final int DEFAULT_MAX_WHITESPACE = 16;
    /** Containers nested at most this deep. */
    public static final int DEFAULT_MAX_DEPTH = 32;

    private JsonConstraints() {
    }

    /** Any JSON object ({@code response_format: {"type": "json_object"}}). */
    public static JsonGrammar anyObject() {
        return new JsonGrammar(GrammarNode.anyObject());
    }

    /** A value valid against {@code schema} ({@code response_format: {"type": "json_schema", ...}}'s schema). */
    public static JsonGrammar schema(JsonNode schema) {
        return new JsonGrammar(SchemaCompiler.compile(schema));
    }

    /**
     * OpenAI's {@code response_format}: {@code {"type": "text"}} or null (no constraint: empty),
     * {@code {"type": "json_object"}}, or {@code {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}}.
     * Throws {@link SchemaException} (HTTP 400) for a malformed value or an unsupported schema.
     */
    public static java.util.Optional<JsonGrammar> forResponseFormat(JsonNode responseFormat) {
        if (responseFormat == null || responseFormat.isNull() || responseFormat.isMissingNode()) return java.util.Optional.empty();
        String type = responseFormat.path("type").asText("");
        return switch (type) {
            case "text" -> java.util.Optional.empty();
            case "json_object" -> java.util.Optional.of(anyObject());
            case "json_schema" -> {
                JsonNode js = responseFormat.path("json_schema");
                if (!js.isObject()) throw new SchemaException("", "response_format json_schema needs a \"json_schema\" object");
                if (!js.path("name").isTextual()) throw new SchemaException("", "response_format json_schema needs a \"name\"");
                JsonNode schema = js.get("schema");
                if (schema == null || schema.isNull()) {
                    throw new SchemaException("", "response_format json_schema needs a \"schema\"");
                }
                yield java.util.Optional.of(schema(schema));
            }
            default -> throw new SchemaException("", "response_format type must be \"text\", \"json_object\" or "
                    + "\"json_schema\", got \"" + type + "\"");
        };
    }

    /** A compiled grammar: immutable, shareable between threads and sequences. */
    public static final class JsonGrammar {
        final GrammarNode root;

        JsonGrammar(GrammarNode root) {
            this.root = root;
        }

        public TokenConstraint constraint(TokenVocabulary vocab) {
            return new GrammarConstraint(new Recognizer(root, DEFAULT_MAX_WHITESPACE, DEFAULT_MAX_DEPTH), vocab);
        }

        /** Whether {@code text} is a prefix of some output of this grammar (what streaming must guarantee). */
        public boolean prefixOk(String text) {
            return new Recognizer(root, Integer.MAX_VALUE, Integer.MAX_VALUE).start()
                    .advance(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) != null;
        }

        /** Whether {@code text} is a whole output of this grammar (byte-level check, for tests and tool parsing). */
        public boolean matches(String text) {
            Recognizer.State s = new Recognizer(root, Integer.MAX_VALUE, Integer.MAX_VALUE).start()
                    .advance(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return s != null && s.isComplete();
        }
    }
}
