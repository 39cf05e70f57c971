package dev.slmops.model.format.safetensors;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.format.ModelFileException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.SortedSet;

/**
 * {@code model.safetensors.index.json}, the map from tensor name to shard file of a sharded checkpoint:
 * <pre>{"metadata": {"total_size": 4988147200}, "weight_map": {"lm_head.weight": "model-00002-of-00002.safetensors", ...}}</pre>
 * {@code total_size} is the sum of the tensors' byte sizes (not of the files). Shard names must be plain file names
 * in the same directory: a name with a path separator or ".." is rejected, so an index cannot reach outside the
 * model directory.
 */
public record SafetensorsIndex(OptionalLong totalSize, Map<String, String> weightMap, JsonNode metadata) {

    public static final String FILE_NAME = "model.safetensors.index.json";

    public SafetensorsIndex {
        weightMap = Collections.unmodifiableMap(new TreeMap<>(weightMap));
    }

    /** The distinct shard file names, sorted. */
    public SortedSet<String> shardFiles() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(weightMap.values()));
    }

    public static SafetensorsIndex read(Path file) throws IOException {
        if (Files.size(file) > JsonFiles.MAX_JSON_FILE_BYTES) {
            throw new ModelFileException(file, "is too large for an index file");
        }
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Parses and validates index JSON; {@code source} names the file in errors. */
    public static SafetensorsIndex parse(byte[] json, String source) throws ModelFileException {
        JsonNode root = JsonFiles.parse(json, source);
        if (!root.isObject()) {
            throw new ModelFileException(source, "is " + JsonFiles.kindOf(root) + ", expected a JSON object with "
                    + "a weight_map");
        }
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new ModelFileException(source, "has no weight_map object (tensor name -> shard file)");
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (Map.Entry<String, JsonNode> kv : map.properties()) {
            JsonNode v = kv.getValue();
            if (!v.isTextual()) {
                throw new ModelFileException(source, "weight_map entry \"" + kv.getKey() + "\" is "
                        + JsonFiles.kindOf(v) + ", expected a shard file name");
            }
            checkShardName(v.textValue(), kv.getKey(), source);
            weightMap.put(kv.getKey(), v.textValue());
        }
        JsonNode metadata = root.get("metadata");
        OptionalLong total = OptionalLong.empty();
        if (metadata != null && !metadata.isNull()) {
            if (!metadata.isObject()) {
                throw new ModelFileException(source, "metadata is " + JsonFiles.kindOf(metadata) + ", expected an object");
            }
            JsonNode t = metadata.get("total_size");
            if (t != null && !t.isNull()) {
                // Some writers emit total_size as a float (e.g. 1.2e9): accept whole, non-negative numbers.
                if (!t.isNumber() || !t.canConvertToLong() || t.asDouble() < 0 || t.asDouble() != Math.rint(t.asDouble())) {
                    throw new ModelFileException(source, "metadata.total_size is " + t + ", expected a non-negative "
                            + "whole number of bytes");
                }
                total = OptionalLong.of(t.longValue());
            }
        } else {
            metadata = JsonNodeFactory.instance.objectNode();
        }
        return new SafetensorsIndex(total, weightMap, metadata);
    }

    private static void checkShardName(String name, String tensor, String source) throws ModelFileException {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\")
                || name.indexOf('\0') >= 0) {
            throw new ModelFileException(source, "weight_map entry \"" + tensor + "\" names shard \"" + name
                    + "\": a shard must be a plain file name in the model directory");
        }
    }

    /** The index as transformers writes it: keys sorted, two-space indent, trailing newline. */
    public String toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode meta = root.putObject("metadata");
        if (metadata != null && metadata.isObject()) {
            new TreeMap<>(toMap(metadata)).forEach(meta::set);
        }
        totalSize.ifPresent(n -> meta.put("total_size", n));
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return JsonFiles.mapper().writer(pp).writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, JsonNode> toMap(JsonNode obj) {
        Map<String, JsonNode> m = new TreeMap<>();
        for (Map.Entry<String, JsonNode> kv : obj.properties()) m.put(kv.getKey(), kv.getValue());
        return m;
    }

    /** Writes {@link #toJson()} to {@code file} atomically. */
    public void write(Path file) throws IOException {
        Path tmp = SafetensorsWriter.tempSibling(file);
        try {
            Files.write(tmp, toJson().getBytes(StandardCharsets.UTF_8));
            SafetensorsWriter.moveIntoPlace(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
