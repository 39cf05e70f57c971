package dev.slmops.model.generate.constrain;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A plain JSON Schema validator for the subset the compiler accepts, written from the specification's wording and
 * sharing no code with the compiler (patterns go through java.util.regex, searched as ECMA-262 does). It checks
 * finished values; the grammar checks prefixes.
 */
final class SchemaValidator {
    private final JsonNode root;

    private SchemaValidator(JsonNode root) {
        this.root = root;
    }

    /** The violations of {@code value} against {@code schema}; empty when valid. */
    static List<String> validate(JsonNode schema, JsonNode value) {
        List<String> errors = new ArrayList<>();
        new SchemaValidator(schema).check(schema, value, "$", errors);
        return errors;
    }

    private void check(JsonNode s, JsonNode v, String at, List<String> errors) {
        if (s.isBoolean()) {
            if (!s.booleanValue()) errors.add(at + ": schema false");
            return;
        }
        if (s.has("$ref")) {
            String ref = s.get("$ref").textValue();
            check(ref.equals("#") ? root : root.at(ref.substring(1)), v, at, errors);
            return;
        }
        if (s.has("const") && !s.get("const").equals(v)) errors.add(at + ": not the const " + s.get("const"));
        if (s.has("enum")) {
            boolean any = false;
            for (JsonNode e : s.get("enum")) any |= e.equals(v);
            if (!any) errors.add(at + ": not in enum " + s.get("enum"));
        }
        if (s.has("anyOf")) {
            boolean any = false;
            for (JsonNode alt : s.get("anyOf")) {
                List<String> sub = new ArrayList<>();
                check(alt, v, at, sub);
                any |= sub.isEmpty();
            }
            if (!any) errors.add(at + ": matches no anyOf alternative");
        }
        JsonNode type = s.get("type");
        if (type != null) {
            boolean ok = false;
            if (type.isTextual()) ok = hasType(v, type.textValue());
            else for (JsonNode t : type) ok |= hasType(v, t.textValue());
            if (!ok) {
                errors.add(at + ": not of type " + type);
                return;
            }
        }
        if (v.isObject()) {
            JsonNode props = s.get("properties");
            if (s.has("required")) for (JsonNode r : s.get("required")) {
                if (!v.has(r.textValue())) errors.add(at + ": missing required " + r.textValue());
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                var e = it.next();
                if (props != null && props.has(e.getKey())) check(props.get(e.getKey()), e.getValue(), at + "." + e.getKey(), errors);
                else if (s.has("additionalProperties")) check(s.get("additionalProperties"), e.getValue(), at + "." + e.getKey(), errors);
            }
        }
        if (v.isArray()) {
            if (s.has("minItems") && v.size() < s.get("minItems").intValue()) errors.add(at + ": fewer than minItems");
            if (s.has("maxItems") && v.size() > s.get("maxItems").intValue()) errors.add(at + ": more than maxItems");
            if (s.has("items")) for (int i = 0; i < v.size(); i++) check(s.get("items"), v.get(i), at + "[" + i + "]", errors);
        }
        if (v.isTextual()) {
            String text = v.textValue();
            int length = text.codePointCount(0, text.length());
            if (s.has("minLength") && length < s.get("minLength").intValue()) errors.add(at + ": shorter than minLength");
            if (s.has("maxLength") && length > s.get("maxLength").intValue()) errors.add(at + ": longer than maxLength");
            if (s.has("pattern") && !Pattern.compile(s.get("pattern").textValue()).matcher(text).find()) {
                errors.add(at + ": does not match pattern " + s.get("pattern"));
            }
        }
    }

    private static boolean hasType(JsonNode v, String type) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "number" -> v.isNumber();
            case "integer" -> v.isIntegralNumber() || (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()));
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> throw new IllegalArgumentException("unknown type " + type);
        };
    }

    static final Set<String> KEYWORDS = Set.of("type", "properties", "required", "additionalProperties", "enum",
            "const", "anyOf", "$ref", "$defs", "items", "minItems", "maxItems", "minLength", "maxLength", "pattern");
}
