package dev.slmops.model.generate.constrain;

/**
 * A JSON Schema (or tool definition) that cannot be enforced: malformed, or using a feature outside the supported
 * subset. The message names the place in the schema and the feature; a server answers it with HTTP 400.
 */
public final class SchemaException extends IllegalArgumentException {
    private final String pointer;
    private final String reason;

    public SchemaException(String pointer, String reason) {
        super("json_schema " + (pointer.isEmpty() ? "(root)" : "at " + pointer) + ": " + reason);
        this.pointer = pointer;
        this.reason = reason;
    }

    /** What is wrong, without the place. */
    public String reason() {
        return reason;
    }

    /** JSON Pointer of the offending schema ({@code ""} for the root). */
    public String pointer() {
        return pointer;
    }
}
