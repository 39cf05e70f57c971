package dev.slmops.train.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.train.checkpoint.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * metrics.jsonl: one JSON object per line, training records ({@code step, epoch, loss, lr, grad_norm, tokens,
 * tokens_per_s, elapsed_s}) and evaluation records ({@code step, eval_loss, eval_perplexity}). A resumed run first
 * drops the records after its checkpoint's step, so the file reads as one uninterrupted run.
 */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    private MetricsLog(Path file) {
        this.file = file;
    }

    /** Opens {@code file}, keeping only records with step <= {@code keepUpToStep} (0 for a fresh run: empty). */
    public static MetricsLog open(Path file, long keepUpToStep) throws IOException {
        StringBuilder kept = new StringBuilder();
        if (keepUpToStep > 0) {
            for (JsonNode r : read(file)) {
                if (r.path("step").asLong() <= keepUpToStep) kept.append(JSON.writeValueAsString(r)).append('\n');
            }
        }
        AtomicFiles.write(file, kept.toString().getBytes(StandardCharsets.UTF_8));
        return new MetricsLog(file);
    }

    public Path file() {
        return file;
    }

    public ObjectNode record(long step) {
        return JSON.createObjectNode().put("step", step);
    }

    /** Appends one record (flushed: a killed run keeps every line written before it). */
    public void append(ObjectNode record) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(record) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Every record of a metrics file (none when it does not exist); a torn last line of a killed run is skipped. */
    public static List<JsonNode> read(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            try {
                out.add(JSON.readTree(line));
            } catch (IOException torn) {
                // only a killed run's last line can be partial; it is dropped
            }
        }
        return out;
    }
}
