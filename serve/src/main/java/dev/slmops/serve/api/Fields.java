package dev.slmops.serve.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Typed reads of a request's JSON fields: a field of the wrong type or out of range is a 400 naming the field,
 * never a silent coercion (OpenAI rejects {@code "temperature": "hot"} too). Absent and JSON null read as absent.
 */
final class Fields {
    private final JsonNode body;

    Fields(JsonNode body) {
        this.body = body;
    }

    boolean has(String name) {
        JsonNode v = body.get(name);
        return v != null && !v.isNull();
    }

    JsonNode node(String name) {
        return has(name) ? body.get(name) : null;
    }

    String string(String name, String otherwise) {
        if (!has(name)) return otherwise;
        JsonNode v = body.get(name);
        if (!v.isTextual()) throw ApiError.invalid(name, "'" + name + "' must be a string, got " + kind(v));
        return v.asText();
    }

    boolean bool(String name, boolean otherwise) {
        if (!has(name)) return otherwise;
        JsonNode v = body.get(name);
        if (!v.isBoolean()) throw ApiError.invalid(name, "'" + name + "' must be a boolean, got " + kind(v));
        return v.asBoolean();
    }

    /** A finite number in [lo, hi]. */
    double number(String name, double otherwise, double lo, double hi) {
        if (!has(name)) return otherwise;
        JsonNode v = body.get(name);
        if (!v.isNumber()) throw ApiError.invalid(name, "'" + name + "' must be a number, got " + kind(v));
        double d = v.asDouble();
        if (!(d >= lo && d <= hi)) { // also NaN and infinities
            throw ApiError.invalid(name, "'" + name + "' must be between " + lo + " and " + hi + ", got " + v);
        }
        return d;
    }

    /** An integer in [lo, hi] (a number with a fraction, or beyond 64 bits, is refused). */
    Long integer(String name, long lo, long hi) {
        if (!has(name)) return null;
        JsonNode v = body.get(name);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiError.invalid(name, "'" + name + "' must be an integer, got " + kind(v) + " " + v);
        }
        long x = v.asLong();
        if (x < lo || x > hi) {
            throw ApiError.invalid(name, "'" + name + "' must be between " + lo + " and " + hi + ", got " + x);
        }
        return x;
    }

    static String kind(JsonNode v) {
        if (v.isTextual()) return "a string";
        if (v.isNumber()) return "a number";
        if (v.isBoolean()) return "a boolean";
        if (v.isArray()) return "an array";
        if (v.isObject()) return "an object";
        return "null";
    }
}
