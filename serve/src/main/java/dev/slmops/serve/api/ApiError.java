package dev.slmops.serve.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request the server refuses, with the HTTP status and the fields of OpenAI's error object:
 * {@code {"error": {"message", "type", "param", "code"}}}. Thrown anywhere while handling a request; the server
 * turns it into the response, so a client never sees a stack trace.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiError(int status, String type, String code, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    /** 400: a field is missing, of the wrong type or out of range. */
    public static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", "invalid_value", param, message);
    }

    public static ApiError invalidJson(String message) {
        return new ApiError(400, "invalid_request_error", "invalid_json", null, message);
    }

    public static ApiError unknownModel(String model) {
        return new ApiError(404, "invalid_request_error", "model_not_found", "model",
                "The model '" + model + "' does not exist or is not served here; GET /v1/models lists the models");
    }

    public static ApiError contextExceeded(int tokens, int context) {
        return new ApiError(400, "invalid_request_error", "context_length_exceeded", "messages",
                "This model's maximum context length is " + context + " tokens; the request needs " + tokens
                        + " (prompt plus max_tokens). Shorten the prompt or lower max_tokens.");
    }

    public static ApiError unauthorized() {
        return new ApiError(401, "invalid_request_error", "invalid_api_key",
                null, "Incorrect or missing API key: send it as 'Authorization: Bearer <key>'");
    }

    public static ApiError overloaded(String what) {
        return new ApiError(429, "rate_limit_error", "queue_full", null,
                "The server is busy (" + what + "); retry after a moment");
    }

    public static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "request_too_large", null,
                "The request body exceeds the server's limit of " + limit + " bytes");
    }

    public static ApiError tooSlow(long bytesRead, long seconds) {
        return new ApiError(408, "invalid_request_error", "request_timeout", null, "The request body arrived too "
                + "slowly (" + bytesRead + " bytes in " + seconds + " s); send it at once");
    }

    public static ApiError notFound(String path) {
        return new ApiError(404, "invalid_request_error", "not_found", null, "No endpoint " + path
                + "; the API serves /v1/chat/completions, /v1/completions, /v1/models, /health, /metrics");
    }

    public static ApiError internal(String message) {
        return new ApiError(500, "server_error", "internal_error", null, message);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    /** The response body: {@code {"error": {...}}}. */
    public ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", getMessage());
        e.put("type", type);
        if (param == null) e.putNull("param"); else e.put("param", param);
        if (code == null) e.putNull("code"); else e.put("code", code);
        return root;
    }
}
