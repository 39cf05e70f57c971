package dev.slmops.model.generate.constrain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.generate.constrain.GrammarNode.AnyOf;
import dev.slmops.model.generate.constrain.GrammarNode.Arr;
import dev.slmops.model.generate.constrain.GrammarNode.Literal;
import dev.slmops.model.generate.constrain.GrammarNode.Num;
import dev.slmops.model.generate.constrain.GrammarNode.Obj;
import dev.slmops.model.generate.constrain.GrammarNode.Prop;
import dev.slmops.model.generate.constrain.GrammarNode.Ref;
import dev.slmops.model.generate.constrain.GrammarNode.Str;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles the JSON Schema subset of OpenAI's structured outputs to a {@link GrammarNode}:
 * {@code type} (object, array, string, number, integer, boolean, null, or a list of them), {@code properties},
 * {@code required}, {@code additionalProperties} (false, true or a schema), {@code enum}, {@code const},
 * {@code anyOf}, {@code $ref} to {@code #}, {@code #/$defs/..} or {@code #/definitions/..}, {@code items},
 * {@code minItems}/{@code maxItems}, {@code minLength}/{@code maxLength}, {@code pattern} (see {@link Regex}),
 * {@code format} (accepted, generated as a plain string). Annotations (title, description, default, examples
 * ...) are ignored. Anything else is refused with a {@link SchemaException} naming it, never silently ignored.
 *
 * <p>Properties are generated in declaration order (as OpenAI does); optional ones may be left out.
 */
final class SchemaCompiler {
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$comment",
            "$schema", "$id", "deprecated", "readOnly", "writeOnly", "$anchor", "strict", "nullable_description");
    private static final Set<String> SUPPORTED = Set.of("type", "properties", "required", "additionalProperties",
            "enum", "const", "anyOf", "$ref", "$defs", "definitions", "items", "minItems", "maxItems", "minLength",
            "maxLength", "pattern", "format");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Keywords that only narrow values; ignored (not enforced) in lenient mode, as tool parameters often carry them. */
    static final Set<String> NARROWING = Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
            "multipleOf", "minProperties", "maxProperties", "uniqueItems");

    private final JsonNode root;
    private final boolean lenient;
    private final Map<String, Ref> refs = new HashMap<>();
    private final List<Runnable> pending = new ArrayList<>();

    private SchemaCompiler(JsonNode root, boolean lenient) {
        this.root = root;
        this.lenient = lenient;
    }

    static GrammarNode compile(JsonNode schema) {
        return compile(schema, false);
    }

    /** @param lenient ignore the {@link #NARROWING} keywords instead of refusing the schema */
    static GrammarNode compile(JsonNode schema, boolean lenient) {
        if (schema == null || schema.isMissingNode() || schema.isNull()) throw new SchemaException("", "no schema given");
        SchemaCompiler c = new SchemaCompiler(schema, lenient);
        GrammarNode node = c.node(schema, "");
        while (!c.pending.isEmpty()) c.pending.removeLast().run(); // resolve $refs (may add more)
        return node;
    }

    private GrammarNode node(JsonNode s, String at) {
        if (s.isBoolean()) {
            if (s.booleanValue()) return GrammarNode.anyValue();
            throw new SchemaException(at, "the schema false allows no value");
        }
        if (!s.isObject()) throw new SchemaException(at, "a schema must be an object or a boolean, got " + s.getNodeType());
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!SUPPORTED.contains(k) && !ANNOTATIONS.contains(k) && !(lenient && NARROWING.contains(k))) {
                throw new SchemaException(at, "\"" + k + "\" is not supported (supported: type, properties, required, "
                        + "additionalProperties, enum, const, anyOf, $ref, $defs, items, minItems, maxItems, "
                        + "minLength, maxLength, pattern, format)");
            }
        }
        if (s.has("$ref")) return ref(s.get("$ref"), at);
        if (s.has("const")) return literal(s.get("const"));
        if (s.has("enum")) {
            JsonNode e = s.get("enum");
            if (!e.isArray() || e.isEmpty()) throw new SchemaException(at + "/enum", "enum must be a non-empty array");
            List<GrammarNode> alts = new ArrayList<>();
            for (JsonNode v : e) alts.add(literal(v));
            return alts.size() == 1 ? alts.getFirst() : new AnyOf(alts);
        }
        if (s.has("anyOf")) {
            JsonNode a = s.get("anyOf");
            if (!a.isArray() || a.isEmpty()) throw new SchemaException(at + "/anyOf", "anyOf must be a non-empty array");
            for (String k : List.of("type", "properties", "items")) {
                if (s.has(k)) throw new SchemaException(at, "anyOf together with \"" + k + "\" is not supported: move it into each alternative");
            }
            List<GrammarNode> alts = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) alts.add(node(a.get(i), at + "/anyOf/" + i));
            return alts.size() == 1 ? alts.getFirst() : new AnyOf(alts);
        }
        List<String> types = types(s, at);
        List<GrammarNode> alts = new ArrayList<>();
        for (String t : types) alts.add(typed(t, s, at));
        return alts.size() == 1 ? alts.getFirst() : new AnyOf(alts);
    }

    private List<String> types(JsonNode s, String at) {
        JsonNode t = s.get("type");
        if (t == null) {
            if (s.has("properties") || s.has("additionalProperties") || s.has("required")) return List.of("object");
            if (s.has("items") || s.has("minItems") || s.has("maxItems")) return List.of("array");
            if (s.has("minLength") || s.has("maxLength") || s.has("pattern") || s.has("format")) return List.of("string");
            return List.of("any");
        }
        List<String> out = new ArrayList<>();
        if (t.isTextual()) out.add(t.textValue());
        else if (t.isArray() && !t.isEmpty()) for (JsonNode x : t) {
            if (!x.isTextual()) throw new SchemaException(at + "/type", "type must be a string or an array of strings");
            out.add(x.textValue());
        }
        else throw new SchemaException(at + "/type", "type must be a string or a non-empty array of strings");
        return out;
    }

    private GrammarNode typed(String type, JsonNode s, String at) {
        return switch (type) {
            case "object" -> object(s, at);
            case "array" -> array(s, at);
            case "string" -> string(s, at);
            case "number" -> new Num(false);
            case "integer" -> new Num(true);
            case "boolean" -> new AnyOf(List.of(Literal.of("true"), Literal.of("false")));
            case "null" -> Literal.of("null");
            case "any" -> GrammarNode.anyValue();
            default -> throw new SchemaException(at + "/type", "unknown type \"" + type
                    + "\" (expected object, array, string, number, integer, boolean or null)");
        };
    }

    private GrammarNode object(JsonNode s, String at) {
        JsonNode props = s.get("properties");
        if (props != null && !props.isObject()) throw new SchemaException(at + "/properties", "properties must be an object");
        Set<String> required = new LinkedHashSet<>();
        JsonNode req = s.get("required");
        if (req != null) {
            if (!req.isArray()) throw new SchemaException(at + "/required", "required must be an array of names");
            for (JsonNode r : req) {
                if (!r.isTextual()) throw new SchemaException(at + "/required", "required must be an array of names");
                required.add(r.textValue());
            }
        }
        List<Prop> list = new ArrayList<>();
        if (props != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                var e = it.next();
                String name = e.getKey();
                GrammarNode value = node(e.getValue(), at + "/properties/" + escapePointer(name));
                list.add(new Prop(name, new Literal(jsonBytes(JSON.getNodeFactory().textNode(name))), value, required.contains(name)));
            }
        }
        JsonNode addl = s.get("additionalProperties");
        GrammarNode additional;
        if (addl == null || (addl.isBoolean() && addl.booleanValue())) additional = GrammarNode.anyValue();
        else if (addl.isBoolean()) additional = null;
        else additional = node(addl, at + "/additionalProperties");
        for (String r : required) {
            boolean declared = list.stream().anyMatch(p -> p.name().equals(r));
            if (!declared && additional == null) {
                throw new SchemaException(at + "/required", "\"" + r + "\" is required but not among the properties");
            }
            if (!declared) {
                throw new SchemaException(at + "/required", "required \"" + r + "\" must also be declared in properties");
            }
        }
        return new Obj(list, additional);
    }

    private GrammarNode array(JsonNode s, String at) {
        JsonNode items = s.get("items");
        GrammarNode item = items == null ? GrammarNode.anyValue() : node(items, at + "/items");
        int min = count(s, "minItems", 0, at);
        int max = count(s, "maxItems", Integer.MAX_VALUE, at);
        if (max < min) throw new SchemaException(at, "maxItems " + max + " is below minItems " + min);
        return new Arr(item, min, max);
    }

    private GrammarNode string(JsonNode s, String at) {
        int min = count(s, "minLength", 0, at);
        int max = count(s, "maxLength", Integer.MAX_VALUE, at);
        if (max < min) throw new SchemaException(at, "maxLength " + max + " is below minLength " + min);
        Regex pattern = null;
        JsonNode p = s.get("pattern");
        if (p != null) {
            if (!p.isTextual()) throw new SchemaException(at + "/pattern", "pattern must be a string");
            try {
                pattern = Regex.compile(p.textValue());
            } catch (IllegalArgumentException e) {
                throw new SchemaException(at + "/pattern", e.getMessage());
            }
        }
        JsonNode f = s.get("format");
        if (f != null && !f.isTextual()) throw new SchemaException(at + "/format", "format must be a string");
        return new Str(min, max, Set.of(), pattern);
    }

    private static int count(JsonNode s, String key, int absent, String at) {
        JsonNode v = s.get(key);
        if (v == null) return absent;
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 0) {
            throw new SchemaException(at + "/" + key, key + " must be a non-negative integer, got " + v);
        }
        return v.intValue();
    }

    private GrammarNode ref(JsonNode refNode, String at) {
        if (!refNode.isTextual()) throw new SchemaException(at + "/$ref", "$ref must be a string");
        String ref = refNode.textValue();
        Ref existing = refs.get(ref);
        if (existing != null) return existing;
        JsonNode target;
        if (ref.equals("#")) target = root;
        else if (ref.startsWith("#/")) target = root.at(ref.substring(1));
        else throw new SchemaException(at + "/$ref", "only local references (#, #/$defs/Name) are supported, got " + ref);
        if (target.isMissingNode()) throw new SchemaException(at + "/$ref", "$ref " + ref + " names nothing in this schema");
        Ref r = new Ref(ref);
        refs.put(ref, r);
        pending.add(() -> r.resolve(node(target, ref.substring(1))));
        return r;
    }

    private static Literal literal(JsonNode v) {
        return new Literal(jsonBytes(v));
    }

    private static byte[] jsonBytes(JsonNode v) {
        try {
            return JSON.writeValueAsBytes(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String escapePointer(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }
}
