package dev.slmops.model.format;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Strict JSON reading for model files (safetensors headers, config.json, index files): duplicate keys and
 * trailing garbage are errors, and every parse failure becomes a {@link ModelFileException} naming the file and
 * the line/column.
 */
public final class JsonFiles {
    private JsonFiles() {
    }

    /** A JSON file bigger than this is not a config or an index: refuse before reading it into memory. */
    public static final long MAX_JSON_FILE_BYTES = 256L << 20;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** The shared strict mapper (also fine for writing). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Parses a whole JSON document; {@code source} names where the bytes came from in errors. */
    public static JsonNode parse(byte[] json, String source) throws ModelFileException {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) throw new ModelFileException(source, "is empty: expected JSON");
            return node;
        } catch (JacksonException e) {
            throw new ModelFileException(source, "is not valid JSON: " + describe(e), e);
        } catch (IOException e) {
            throw new ModelFileException(source, "cannot be parsed as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Parses a JSON string (already decoded and validated as UTF-8) that is part of {@code source};
     * {@code what} names the part in errors: {@code "model.safetensors: header is not valid JSON: ..."}.
     */
    public static JsonNode parse(String json, String source, String what) throws ModelFileException {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) throw new ModelFileException(source, what + " is empty: expected JSON");
            return node;
        } catch (JacksonException e) {
            throw new ModelFileException(source, what + " is not valid JSON: " + describe(e), e);
        }
    }

    /** Reads and parses a JSON file, refusing files over {@link #MAX_JSON_FILE_BYTES}. */
    public static JsonNode read(Path file) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new ModelFileException(file, "does not exist");
        }
        if (size > MAX_JSON_FILE_BYTES) {
            throw new ModelFileException(file, "is " + size + " bytes, too large for a JSON model file (limit "
                    + MAX_JSON_FILE_BYTES + ")");
        }
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** A JSON value's kind for error messages: "a string", "an array" ... */
    public static String kindOf(JsonNode node) {
        if (node == null || node.isMissingNode()) return "nothing";
        if (node.isNull()) return "null";
        if (node.isTextual()) return "a string";
        if (node.isIntegralNumber()) return "an integer";
        if (node.isNumber()) return "a number";
        if (node.isBoolean()) return "a boolean";
        if (node.isArray()) return "an array";
        if (node.isObject()) return "an object";
        return node.getNodeType().toString().toLowerCase();
    }

    private static String describe(JacksonException e) {
        String msg = e.getOriginalMessage();
        if (msg != null && msg.length() > 300) msg = msg.substring(0, 300) + "...";
        JsonLocation loc = e.getLocation();
        return loc == null ? msg : msg + " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

}
