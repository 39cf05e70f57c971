package dev.slmops.model.generate.constrain;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A node of the grammar the recognizer runs: what a JSON Schema (or a tool-call format) compiles to. Nodes are
 * immutable and shared by every sequence generated with the same schema; {@link Ref} closes recursive schemas.
 * Values are written without leading whitespace: containers allow a bounded run of whitespace around their
 * punctuation, {@link Ws} allows it before a node.
 */
sealed interface GrammarNode {

    /** Exactly these bytes ({@code true}, {@code "red"}, {@code <tool_call>}). */
    record Literal(byte[] bytes) implements GrammarNode {
        public Literal {
            if (bytes.length == 0) throw new IllegalArgumentException("empty literal");
        }

        static Literal of(String text) {
            return new Literal(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * A JSON object whose declared properties come in declaration order (required ones always, optional ones
     * possibly skipped), then, when {@code additionalOrNull} is set, any other keys with values of that node.
     */
    record Obj(List<Prop> props, GrammarNode additionalOrNull) implements GrammarNode {
        public Obj {
            props = List.copyOf(props);
        }
    }

    /** @param keyLiteral the key as JSON text, quotes included */
    record Prop(String name, Literal keyLiteral, GrammarNode value, boolean required) {
    }

    /** A JSON array of {@code items}, with {@code minItems <= count <= maxItems}. */
    record Arr(GrammarNode items, int minItems, int maxItems) implements GrammarNode {
    }

    /**
     * A JSON string of {@code minLength..maxLength} characters (code points; an escape is one), not equal to any
     * of {@code excluded} (used for additional keys), matching {@code patternOrNull} when set.
     */
    record Str(int minLength, int maxLength, Set<String> excluded, Regex patternOrNull) implements GrammarNode {
        public Str {
            excluded = Set.copyOf(excluded);
        }

        static Str any() {
            return new Str(0, Integer.MAX_VALUE, Set.of(), null);
        }
    }

    /** A JSON number; {@code integer} allows neither fraction nor exponent. */
    record Num(boolean integer) implements GrammarNode {
    }

    /** Any one of the alternatives (the recognizer follows all of them until the bytes decide). */
    record AnyOf(List<GrammarNode> alternatives) implements GrammarNode {
        public AnyOf {
            alternatives = List.copyOf(alternatives);
            if (alternatives.isEmpty()) throw new IllegalArgumentException("anyOf with no alternatives");
        }
    }

    /** The parts one after another, without whitespace between them. */
    record Seq(List<GrammarNode> parts) implements GrammarNode {
        public Seq {
            parts = List.copyOf(parts);
            if (parts.isEmpty()) throw new IllegalArgumentException("empty sequence");
        }
    }

    /** Up to the recognizer's whitespace limit of whitespace, then {@code node}. */
    record Ws(GrammarNode node) implements GrammarNode {
    }

    /** A node defined later (a {@code $ref}, or the recursive "any JSON value"). */
    final class Ref implements GrammarNode {
        private final String name;
        private GrammarNode target;

        Ref(String name) {
            this.name = name;
        }

        void resolve(GrammarNode node) {
            target = Objects.requireNonNull(node);
        }

        GrammarNode target() {
            if (target == null) throw new IllegalStateException("unresolved grammar reference " + name);
            return target;
        }

        @Override
        public String toString() {
            return "Ref[" + name + "]";
        }
    }

    /** Any JSON value: object, array, string, number, true, false or null. */
    static GrammarNode anyValue() {
        Ref any = new Ref("any JSON value");
        any.resolve(new AnyOf(List.of(new Obj(List.of(), any), new Arr(any, 0, Integer.MAX_VALUE), Str.any(),
                new Num(false), Literal.of("true"), Literal.of("false"), Literal.of("null"))));
        return any;
    }

    /** Any JSON object (OpenAI's {@code response_format: json_object}). */
    static GrammarNode anyObject() {
        return new Obj(List.of(), anyValue());
    }
}
