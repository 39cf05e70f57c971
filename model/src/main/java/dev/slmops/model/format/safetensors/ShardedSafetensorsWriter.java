package dev.slmops.model.format.safetensors;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Writes a checkpoint split into shards of at most {@code maxShardBytes} of tensor data, as Hugging Face does:
 * tensors are taken in the order given; one that would tip the current shard over the limit starts a new shard;
 * one larger than the limit gets a shard of its own. Shards are named {@code model-00001-of-00003.safetensors}
 * and listed in {@code model.safetensors.index.json}. A checkpoint that fits in one shard is written as plain
 * {@code model.safetensors} with no index, again as transformers does.
 */
public final class ShardedSafetensorsWriter {
    private ShardedSafetensorsWriter() {
    }

    /** Where tensors went: the files written (shards, then the index if any) and the index (null if one file). */
    public record Result(List<Path> files, SafetensorsIndex index) {
    }

    /** Splits {@code tensors} (in the order given) into shards of at most {@code maxShardBytes} data bytes each. */
    public static List<List<TensorToWrite>> plan(List<TensorToWrite> tensors, long maxShardBytes) {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
        List<List<TensorToWrite>> shards = new ArrayList<>();
        List<TensorToWrite> current = new ArrayList<>();
        long currentBytes = 0;
        for (TensorToWrite t : tensors) {
            long size = t.byteSize();
            if (size > maxShardBytes) {
                shards.add(List.of(t));
                continue;
            }
            if (currentBytes + size > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += size;
        }
        if (!current.isEmpty() || shards.isEmpty()) shards.add(current);
        return shards;
    }

    /** HF's shard name: {@code model-00002-of-00003.safetensors} (1-based, five digits). */
    public static String shardName(String prefix, int index1, int count) {
        return String.format("%s-%05d-of-%05d.safetensors", prefix, index1, count);
    }

    /** Writes into {@code dir} under the file prefix "model". */
    public static Result write(Path dir, List<TensorToWrite> tensors, long maxShardBytes) throws IOException {
        return write(dir, "model", tensors, maxShardBytes, SafetensorsWriter.DEFAULT_METADATA);
    }

    public static Result write(Path dir, String prefix, List<TensorToWrite> tensors, long maxShardBytes,
                               Map<String, String> metadata) throws IOException {
        SafetensorsWriter.dataOrder(tensors); // validates names and dtypes before anything is written
        Files.createDirectories(dir);
        List<List<TensorToWrite>> shards = plan(tensors, maxShardBytes);
        List<Path> written = new ArrayList<>();
        if (shards.size() == 1) {
            Path file = dir.resolve(prefix + ".safetensors");
            SafetensorsWriter.write(file, shards.getFirst(), metadata);
            written.add(file);
            return new Result(written, null);
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            String name = shardName(prefix, i + 1, shards.size());
            Path file = dir.resolve(name);
            SafetensorsWriter.write(file, shards.get(i), metadata);
            written.add(file);
            for (TensorToWrite t : shards.get(i)) {
                weightMap.put(t.name(), name);
                total += t.byteSize();
            }
        }
        SafetensorsIndex index = new SafetensorsIndex(OptionalLong.of(total), weightMap,
                JsonNodeFactory.instance.objectNode());
        Path indexFile = dir.resolve(prefix + ".safetensors.index.json");
        index.write(indexFile);
        written.add(indexFile);
        return new Result(written, index);
    }
}
