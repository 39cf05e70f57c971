package dev.slmops.model.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The committed golden files of {@code src/test/resources/safetensors}, made by make_goldens.py. */
final class Goldens {
    private Goldens() {
    }

    static Path file(String name) {
        try {
            var url = Goldens.class.getResource("/safetensors/" + name);
            if (url == null) throw new IllegalStateException("golden file missing from test resources: " + name);
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode expected() throws IOException {
        try (InputStream in = Goldens.class.getResourceAsStream("/safetensors/expected.json")) {
            if (in == null) throw new IllegalStateException("expected.json missing from test resources");
            return new ObjectMapper().readTree(in);
        }
    }

    /** numpy dtype names as make_goldens.py records them -> safetensors dtype strings. */
    static String safetensorsDtype(String numpy) {
        return switch (numpy) {
            case "float64" -> "F64";
            case "float32" -> "F32";
            case "float16" -> "F16";
            case "int64" -> "I64";
            case "int32" -> "I32";
            case "int16" -> "I16";
            case "int8" -> "I8";
            case "uint8" -> "U8";
            case "bool" -> "BOOL";
            default -> throw new IllegalArgumentException("numpy dtype " + numpy);
        };
    }
}
