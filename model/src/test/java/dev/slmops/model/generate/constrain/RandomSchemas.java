package dev.slmops.model.generate.constrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Random schemas of the supported subset whose every value is bounded (strings have maxLength, arrays maxItems,
 * no open "any" values), so that any walk of the grammar ends: a random token choice always completes.
 */
final class RandomSchemas {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PATTERNS = List.of("^[a-z]{2,5}$", "^\\d{3}-\\d{4}$", "^(red|green|blue)$",
            "^[A-Z][a-z]*$", "x", "^\\w+@\\w+\\.(com|org)$", "^[^\"\\\\]{1,6}$");
    private static final List<String> NAMES = List.of("name", "age", "tags", "city", "id", "score", "ok", "note",
            "é-key", "with \"quote\"", "items", "x");

    private final SplittableRandom random;

    RandomSchemas(long seed) {
        random = new SplittableRandom(seed);
    }

    ObjectNode next() {
        ObjectNode root = object(0);
        if (random.nextInt(4) == 0) { // a $defs entry used by reference
            ObjectNode defs = root.putObject("$defs");
            defs.set("Point", JSON.createObjectNode().put("type", "object")
                    .<ObjectNode>set("properties", JSON.createObjectNode()
                            .<ObjectNode>set("x", JSON.createObjectNode().put("type", "integer"))
                            .set("y", JSON.createObjectNode().put("type", "number")))
                    .<ObjectNode>set("required", JSON.createArrayNode().add("x").add("y"))
                    .put("additionalProperties", false));
            ((ObjectNode) root.get("properties")).set("point", JSON.createObjectNode().put("$ref", "#/$defs/Point"));
        }
        return root;
    }

    private ObjectNode object(int depth) {
        ObjectNode o = JSON.createObjectNode().put("type", "object");
        ObjectNode props = o.putObject("properties");
        ArrayNode required = JSON.createArrayNode();
        int n = random.nextInt(depth == 0 ? 1 : 0, 4);
        for (int i = 0; i < n; i++) {
            String name = NAMES.get(random.nextInt(NAMES.size()));
            if (props.has(name)) continue;
            props.set(name, value(depth + 1));
            if (random.nextInt(3) > 0) required.add(name);
        }
        o.set("required", required);
        o.put("additionalProperties", false);
        return o;
    }

    private JsonNode value(int depth) {
        int kind = random.nextInt(depth >= 3 ? 8 : 11);
        return switch (kind) {
            case 0 -> string();
            case 1 -> JSON.createObjectNode().put("type", "number");
            case 2 -> JSON.createObjectNode().put("type", "integer");
            case 3 -> JSON.createObjectNode().put("type", "boolean");
            case 4 -> JSON.createObjectNode().put("type", "null");
            case 5 -> JSON.createObjectNode().set("enum", JSON.createArrayNode().add("red").add("green").add(3).addNull());
            case 6 -> JSON.createObjectNode().put("const", "fixed \"value\"");
            case 7 -> ((ObjectNode) JSON.createObjectNode().set("type", JSON.createArrayNode().add("string").add("null")))
                    .put("maxLength", 6);
            case 8 -> {
                ObjectNode a = JSON.createObjectNode().put("type", "array");
                a.set("items", value(depth + 1));
                int min = random.nextInt(2);
                a.put("minItems", min).put("maxItems", min + random.nextInt(3));
                yield a;
            }
            case 9 -> object(depth);
            default -> {
                ObjectNode any = JSON.createObjectNode();
                any.putArray("anyOf").add(value(depth + 1)).add(object(depth + 1));
                yield any;
            }
        };
    }

    private ObjectNode string() {
        ObjectNode s = JSON.createObjectNode().put("type", "string");
        int max = random.nextInt(0, 9);
        s.put("maxLength", max);
        if (random.nextInt(3) == 0) s.put("minLength", random.nextInt(max + 1));
        if (random.nextInt(3) == 0) {
            s.remove("maxLength");
            s.remove("minLength");
            s.put("pattern", PATTERNS.get(random.nextInt(PATTERNS.size())));
            if (random.nextBoolean() || !s.get("pattern").textValue().endsWith("$")) s.put("maxLength", 12);
        }
        return s;
    }
}
