package dev.slmops.model.generate.constrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.slmops.model.chat.ToolCallFormat;
import dev.slmops.model.chat.ToolChoice;
import dev.slmops.model.chat.ToolDefinitions;
import dev.slmops.model.generate.constrain.GrammarNode.AnyOf;
import dev.slmops.model.generate.constrain.GrammarNode.Arr;
import dev.slmops.model.generate.constrain.GrammarNode.Literal;
import dev.slmops.model.generate.constrain.GrammarNode.Obj;
import dev.slmops.model.generate.constrain.GrammarNode.Prop;
import dev.slmops.model.generate.constrain.GrammarNode.Seq;
import dev.slmops.model.generate.constrain.GrammarNode.Ws;
import dev.slmops.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * For {@code tool_choice} "required" or a named function: a grammar that makes the reply one valid call in the
 * model's own format (Qwen's {@code <tool_call>} block, Llama's JSON, Phi-4's and Mistral's arrays), whose
 * arguments follow the function's parameters schema. Parameters are compiled leniently: range keywords
 * (minimum, maximum, ...) that tool definitions often carry are accepted but not enforced.
 *
 * <pre>{@code
 * ToolChoice choice = ToolChoice.parse(request.get("tool_choice"), tools);
 * ToolCallFormat format = ToolCallFormat.detect(model.chatTemplate());
 * Optional<JsonGrammar> g = ToolCallConstraints.grammar(tools, choice, format);
 * TokenConstraint c = g.map(x -> x.constraint(ToolCallConstraints.vocabulary(tokenizer, format))).orElse(null);
 * // generate with c, then ToolCallParser.parse(tokenizer.decode(result.tokens(), false), format)
 * }</pre>
 */
public final class ToolCallConstraints {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Calls one forced reply may make in the array formats (Phi-4, Mistral); the block formats allow one. */
    public static final int MAX_PARALLEL_CALLS = 8;

    private ToolCallConstraints() {
    }

    /** The grammar forcing a call, or empty when the choice leaves the model free ("none", "auto"). */
    public static Optional<JsonConstraints.JsonGrammar> grammar(List<Map<String, Object>> tools, ToolChoice choice,
                                                                ToolCallFormat format) {
        ToolDefinitions.validate(tools);
        List<Map<String, Object>> callable = switch (choice) {
            case ToolChoice.None n -> List.of();
            case ToolChoice.Auto a -> List.of();
            case ToolChoice.Required r -> tools;
            case ToolChoice.Named n -> tools.stream().filter(t -> n.name().equals(ToolDefinitions.name(t))).toList();
        };
        if (callable.isEmpty()) return Optional.empty();
        List<GrammarNode> calls = new ArrayList<>();
        for (int i = 0; i < callable.size(); i++) calls.add(callObject(callable.get(i), format, i));
        GrammarNode call = calls.size() == 1 ? calls.getFirst() : new AnyOf(calls);
        GrammarNode body = format.array() ? new Arr(new Ws(call), 1, MAX_PARALLEL_CALLS) : call;
        List<GrammarNode> parts = new ArrayList<>();
        if (!format.prefix().isEmpty()) parts.add(Literal.of(format.prefix().strip()));
        parts.add(parts.isEmpty() ? body : new Ws(body));
        if (!format.suffix().isEmpty()) parts.add(new Ws(Literal.of(format.suffix().strip())));
        return Optional.of(new JsonConstraints.JsonGrammar(parts.size() == 1 ? parts.getFirst() : new Seq(parts)));
    }

    /**
     * The vocabulary to constrain with: the tokenizer's, plus the format's marker tokens where they are special
     * tokens (Phi-4's {@code <|tool_call|>}, Mistral's {@code [TOOL_CALLS]}), which are otherwise never generated.
     */
    public static TokenVocabulary vocabulary(Tokenizer tokenizer, ToolCallFormat format) {
        Set<String> markers = Set.of();
        if (format == ToolCallFormat.PHI4) markers = Set.of("<|tool_call|>", "<|/tool_call|>");
        if (format == ToolCallFormat.MISTRAL) markers = Set.of("[TOOL_CALLS]");
        return TokenVocabulary.withSpecials(tokenizer, markers);
    }

    /** {"name": "<the name>", "<arguments key>": <the parameters>}. */
    private static GrammarNode callObject(Map<String, Object> tool, ToolCallFormat format, int index) {
        String name = ToolDefinitions.name(tool);
        Object params = ToolDefinitions.parameters(tool);
        GrammarNode args;
        if (params == null) args = GrammarNode.anyObject();
        else {
            JsonNode schema = JSON.valueToTree(params);
            try {
                args = SchemaCompiler.compile(schema, true);
            } catch (SchemaException e) {
                throw new SchemaException("/tools/" + index + "/function/parameters" + e.pointer(), e.reason());
            }
        }
        List<Prop> props = new ArrayList<>(List.of(
                new Prop("name", keyLiteral("name"), new Literal(bytes(JsonNodeFactory.instance.textNode(name))), true),
                new Prop(format.argumentsKey(), keyLiteral(format.argumentsKey()), args, true)));
        if (format == ToolCallFormat.MISTRAL) { // Mistral models may write the call's id (9 characters) after it
            props.add(new Prop("id", keyLiteral("id"), new GrammarNode.Str(1, 40, Set.of(), null), false));
        }
        return new Obj(props, null);
    }

    private static Literal keyLiteral(String key) {
        return new Literal(bytes(JsonNodeFactory.instance.textNode(key)));
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
