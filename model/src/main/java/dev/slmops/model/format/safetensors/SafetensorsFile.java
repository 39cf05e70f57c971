package dev.slmops.model.format.safetensors;

import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One safetensors file, memory-mapped read-only. Tensors are {@link StoredTensor}s whose data are slices of the
 * mapping (never copied onto the heap); they stay valid until {@link #close()}, after which touching them throws
 * IllegalStateException (the mapping's arena is closed) rather than crashing.
 */
public final class SafetensorsFile implements AutoCloseable {
    private final String source;
    private final SafetensorsHeader header;
    private final Map<String, StoredTensor> byName;   // in data order
    private final Arena arena;                          // null when the segment is not ours to close

    private SafetensorsFile(String source, SafetensorsHeader header, MemorySegment file, Arena arena) {
        this.source = source;
        this.header = header;
        this.arena = arena;
        Map<String, StoredTensor> map = new LinkedHashMap<>();
        for (SafetensorsHeader.Entry e : header.entries()) {
            MemorySegment data = file.asSlice(header.dataStart() + e.begin(), e.byteSize());
            map.put(e.name(), new StoredTensor(e.name(), e.dtype(), e.shape(), data));
        }
        this.byName = Collections.unmodifiableMap(map);
    }

    /** Maps and validates {@code path}; any defect is a {@link ModelFileException} naming the file. */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            SafetensorsFile f = new SafetensorsFile(path.toString(), SafetensorsHeader.parse(file, path.toString()),
                    file, arena);
            return f;
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelFileException(path, "does not exist");
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses a whole safetensors file held in {@code file} (the same path {@link #open} takes after mapping).
     * The caller owns the segment's lifetime; {@link #close()} does not release it.
     */
    public static SafetensorsFile parse(MemorySegment file, String source) throws ModelFileException {
        return new SafetensorsFile(source, SafetensorsHeader.parse(file, source), file, null);
    }

    /** The path (or source description) this was read from. */
    public String source() {
        return source;
    }

    public SafetensorsHeader header() {
        return header;
    }

    /** The {@code __metadata__} string map (empty when absent), in file order. */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** All tensors, in data-section order. */
    public List<StoredTensor> tensors() {
        return List.copyOf(byName.values());
    }

    /** Tensor names, in data-section order. */
    public Set<String> names() {
        return byName.keySet();
    }

    public Optional<StoredTensor> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The named tensor, or a {@link ModelFileException} saying this file has no such tensor. */
    public StoredTensor tensor(String name) throws ModelFileException {
        StoredTensor t = byName.get(name);
        if (t == null) {
            throw new ModelFileException(source, "has no tensor \"" + name + "\" (it holds " + byName.size()
                    + " tensors)");
        }
        return t;
    }

    @Override
    public void close() {
        if (arena != null) arena.close();
    }
}
