package dev.slmops.model.format.safetensors;

import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The weights of a checkpoint: one safetensors file, or every shard named by a {@code model.safetensors.index.json},
 * all mapped. Lookup by name goes across shards. Opening an index checks that every shard exists and holds every
 * tensor the index places in it; tensors a shard holds but the index does not name are ignored, as transformers does.
 */
public final class SafetensorsShards implements AutoCloseable {
    private final Path origin;                       // the single file or the index
    private final List<SafetensorsFile> files;
    private final Map<String, StoredTensor> byName;  // index order (sorted names) or file data order

    private SafetensorsShards(Path origin, List<SafetensorsFile> files, Map<String, StoredTensor> byName) {
        this.origin = origin;
        this.files = List.copyOf(files);
        this.byName = Collections.unmodifiableMap(byName);
    }

    /** A single-file checkpoint. */
    public static SafetensorsShards openSingle(Path file) throws IOException {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, StoredTensor> map = new LinkedHashMap<>();
        for (StoredTensor t : f.tensors()) map.put(t.name(), t);
        return new SafetensorsShards(file, List.of(f), map);
    }

    /** A sharded checkpoint: the index file and the shards beside it. */
    public static SafetensorsShards openIndex(Path indexFile) throws IOException {
        SafetensorsIndex index = SafetensorsIndex.read(indexFile);
        Path dir = indexFile.toAbsolutePath().getParent();
        List<SafetensorsFile> opened = new ArrayList<>();
        Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
        try {
            for (String shard : index.shardFiles()) {
                Path p = dir.resolve(shard);
                if (!Files.isRegularFile(p)) {
                    throw new ModelFileException(indexFile, "names shard " + shard + ", which does not exist in "
                            + dir + " (incomplete download or copy?)");
                }
                SafetensorsFile f = SafetensorsFile.open(p);
                opened.add(f);
                byShard.put(shard, f);
            }
            Map<String, StoredTensor> map = new LinkedHashMap<>();
            for (Map.Entry<String, String> kv : index.weightMap().entrySet()) {
                Optional<StoredTensor> t = byShard.get(kv.getValue()).find(kv.getKey());
                if (t.isEmpty()) {
                    throw new ModelFileException(indexFile, "places tensor \"" + kv.getKey() + "\" in "
                            + kv.getValue() + ", which has no such tensor");
                }
                map.put(kv.getKey(), t.get());
            }
            return new SafetensorsShards(indexFile, opened, map);
        } catch (IOException | RuntimeException | Error e) {
            for (SafetensorsFile f : opened) f.close();
            throw e;
        }
    }

    /** The single file or the index this was opened from. */
    public Path origin() {
        return origin;
    }

    /** The mapped files (one, or one per shard in name order). */
    public List<SafetensorsFile> files() {
        return files;
    }

    public Set<String> names() {
        return byName.keySet();
    }

    public List<StoredTensor> tensors() {
        return List.copyOf(byName.values());
    }

    public Optional<StoredTensor> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The named tensor, or a {@link ModelFileException} naming the checkpoint that lacks it. */
    public StoredTensor tensor(String name) throws ModelFileException {
        StoredTensor t = byName.get(name);
        if (t == null) {
            throw new ModelFileException(origin, "has no tensor \"" + name + "\" (" + byName.size() + " tensors)");
        }
        return t;
    }

    @Override
    public void close() {
        for (SafetensorsFile f : files) f.close();
    }
}
