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
