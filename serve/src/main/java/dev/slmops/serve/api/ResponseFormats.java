package dev.slmops.serve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.serve.scheduler.TokenConstraint;

/**
 * {@code response_format}: "text" (no constraint), "json_object" or "json_schema" (constrained decoding). The
 * shape of the field is checked here; the constraint itself comes from a {@link Provider}, so that the
 * constrained-decoding library plugs in without the endpoints changing.
 */
public final class ResponseFormats {
    private ResponseFormats() {
    }

    /** Makes the per-sequence constraint for a checked json_object / json_schema format. */
    public interface Provider {
        /** @param schemaOrNull the JSON schema (json_schema), or null for any JSON object (json_object) */
        TokenConstraint create(JsonNode schemaOrNull, boolean strict, Tokenizer tokenizer);
    }

    /** Until constrained decoding is wired in: valid formats are refused with a clear 400, never ignored. */
    public static final Provider UNSUPPORTED = (schema, strict, tokenizer) -> {
        throw new ApiError(400, "invalid_request_error", "unsupported_response_format", "response_format",
                "This server build cannot enforce response_format " + (schema == null ? "json_object" : "json_schema")
                        + " yet; leave response_format out or use type \"text\"");
    };

    /** A factory for one request's sequences, or null for free text. */
    static java.util.function.Supplier<TokenConstraint> parse(JsonNode rf, Provider provider, Tokenizer tokenizer) {
        if (rf == null || rf.isNull()) return null;
        if (!rf.isObject() || !rf.path("type").isTextual()) {
            throw ApiError.invalid("response_format", "'response_format' must be an object with a string 'type'");
        }
        String type = rf.get("type").asText();
        switch (type) {
            case "text":
                return null;
            case "json_object": {
                provider.create(null, false, tokenizer); // fail now (400) rather than per sequence
                return () -> provider.create(null, false, tokenizer);
            }
            case "json_schema": {
                JsonNode js = rf.get("json_schema");
                if (js == null || !js.isObject()) {
                    throw ApiError.invalid("response_format.json_schema", "type json_schema needs a 'json_schema' object "
                            + "with 'name' and 'schema'");
                }
                if (!js.path("name").isTextual() || js.get("name").asText().isEmpty()) {
                    throw ApiError.invalid("response_format.json_schema.name", "json_schema needs a non-empty 'name'");
                }
                JsonNode schema = js.get("schema");
                if (schema == null || !(schema.isObject() || schema.isBoolean())) {
                    throw ApiError.invalid("response_format.json_schema.schema",
                            "json_schema.schema must be a JSON Schema object");
                }
                JsonNode t = schema.get("type");
                if (t != null && !(t.isTextual() || t.isArray())) {
                    throw ApiError.invalid("response_format.json_schema.schema",
                            "invalid JSON schema: 'type' must be a string or an array of strings");
                }
                boolean strict = js.path("strict").asBoolean(false);
                provider.create(schema, strict, tokenizer);
                return () -> provider.create(schema, strict, tokenizer);
            }
            default:
                throw ApiError.invalid("response_format.type", "unknown response_format type '" + type
                        + "'; expected text, json_object or json_schema");
        }
    }
}
