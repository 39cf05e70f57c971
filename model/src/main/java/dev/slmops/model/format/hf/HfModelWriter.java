package dev.slmops.model.format.hf;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.safetensors.SafetensorsWriter;
import dev.slmops.model.format.safetensors.ShardedSafetensorsWriter;
import dev.slmops.model.format.safetensors.TensorToWrite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.slmops.model.format.SafeFiles.deleteTree;

/**
 * Writes a Hugging Face model directory: config.json, the weights (one model.safetensors, or shards and an
 * index above {@link #maxShardBytes}), extra JSON files and copied tokenizer files. All of it goes into a
 * temporary sibling directory which is renamed into place at the end, so {@code dir} is either absent, the old
 * directory, or the complete new one: never half-written.
 */
public final class HfModelWriter {
    /** transformers' default max_shard_size ("5GB", decimal). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    /** Files copied by {@link #copyTokenizerFiles(Path)} when present in the source directory. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json", "tokenizer.model", "vocab.json", "merges.txt",
            "added_tokens.json", "chat_template.jinja", "chat_template.json");

    private final Path dir;
    private JsonNode config;
    private List<TensorToWrite> tensors = List.of();
    private long maxShardBytes = DEFAULT_MAX_SHARD_BYTES;
    private Map<String, String> metadata = SafetensorsWriter.DEFAULT_METADATA;
    private final Map<String, JsonNode> jsonFiles = new LinkedHashMap<>();
    private final Map<String, Path> copies = new LinkedHashMap<>();
    private boolean replaceExisting;

    public HfModelWriter(Path dir) {
        this.dir = dir.toAbsolutePath();
    }

    /** The config.json content (required). */
    public HfModelWriter config(JsonNode config) {
        this.config = config;
        return this;
    }

    public HfModelWriter tensors(List<TensorToWrite> tensors) {
        this.tensors = List.copyOf(tensors);
        return this;
    }

    public HfModelWriter maxShardBytes(long maxShardBytes) {
        this.maxShardBytes = maxShardBytes;
        return this;
    }

    /** The safetensors {@code __metadata__} of every weights file ({"format":"pt"} by default). */
    public HfModelWriter metadata(Map<String, String> metadata) {
        this.metadata = Map.copyOf(metadata);
        return this;
    }

    /** Another JSON file to write, e.g. generation_config.json. */
    public HfModelWriter jsonFile(String name, JsonNode content) {
        checkPlainName(name);
        jsonFiles.put(name, content);
        return this;
    }

    /** Copies {@code source} into the directory under its own file name. */
    public HfModelWriter copyFile(Path source) {
        return copyFile(source, source.getFileName().toString());
    }

    public HfModelWriter copyFile(Path source, String name) {
        checkPlainName(name);
        copies.put(name, source);
        return this;
    }

    /** Copies whichever of {@link #TOKENIZER_FILES} exist in {@code sourceDir}. */
    public HfModelWriter copyTokenizerFiles(Path sourceDir) {
        for (String name : TOKENIZER_FILES) {
            Path p = sourceDir.resolve(name);
            if (Files.isRegularFile(p)) copies.put(name, p);
        }
        return this;
    }

    /** Whether an existing {@code dir} is replaced (default: refuse to touch it). */
    public HfModelWriter replaceExisting(boolean replace) {
        this.replaceExisting = replace;
        return this;
    }

    /** Writes everything and moves it into place; returns the directory. */
    public Path write() throws IOException {
        if (config == null || !config.isObject()) {
            throw new IllegalStateException("HfModelWriter needs a config.json object: call config(...) first");
        }
        if (Files.exists(dir) && !replaceExisting) {
            throw new ModelFileException(dir, "already exists; choose another output directory or allow replacing it");
        }
        SafetensorsWriter.dataOrder(tensors); // reject bad names/dtypes before creating anything
        Files.createDirectories(dir.getParent());
        Path tmp = dir.resolveSibling("." + dir.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(System.nanoTime()));
        Path old = null;
        try {
            Files.createDirectory(tmp);
            writeJson(tmp.resolve(HfConfig.FILE_NAME), config);
            ShardedSafetensorsWriter.write(tmp, "model", tensors, maxShardBytes, metadata);
            for (Map.Entry<String, JsonNode> f : jsonFiles.entrySet()) writeJson(tmp.resolve(f.getKey()), f.getValue());
            for (Map.Entry<String, Path> c : copies.entrySet()) {
                if (jsonFiles.containsKey(c.getKey()) || c.getKey().equals(HfConfig.FILE_NAME)) continue;
                Files.copy(c.getValue(), tmp.resolve(c.getKey()));
            }
            if (Files.exists(dir)) {
                old = dir.resolveSibling("." + dir.getFileName() + ".old-" + Long.toHexString(System.nanoTime()));
                move(dir, old);
            }
            move(tmp, dir);
        } catch (IOException | RuntimeException | Error e) {
            if (old != null && !Files.exists(dir)) move(old, dir); // put the previous directory back
            deleteTree(tmp);
            throw e;
        }
        if (old != null) deleteTree(old);
        return dir;
    }

    /** JSON as transformers writes it: two-space indent, "key": value, trailing newline. Keys keep their order. */
    static void writeJson(Path file, JsonNode node) throws IOException {
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"));
        String text = JsonFiles.mapper().writer(pp).writeValueAsString(node) + "\n";
        Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static void checkPlainName(String name) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("not a plain file name: \"" + name + "\"");
        }
    }

}
