package dev.slmops.model.format.gguf;

import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A GGUF file (v2 or v3, little-endian), read from a memory mapping: metadata as plain Java values in file
 * order, tensors as {@link StoredTensor}s whose data are slices of the mapping (nothing is copied to the
 * heap). The tensors stay readable until {@link #close()}, which unmaps the file.
 *
 * <p>Layout (all little-endian), transcribed from ggml's docs/gguf.md:
 * <pre>
 *   uint32 magic "GGUF"; uint32 version; uint64 tensor_count; uint64 metadata_kv_count
 *   metadata_kv_count x { gguf_string key; uint32 value_type; value }
 *   tensor_count x { gguf_string name; uint32 n_dims; uint64 ne[n_dims] (innermost first); uint32 ggml_type;
 *                    uint64 offset (from the data section start, a multiple of the alignment) }
 *   padding to general.alignment (default 32); tensor data
 * </pre>
 * Every count and length is checked against the file size before anything proportional to it is
 * allocated; every problem is a {@link ModelFileException} naming the file and what is wrong.
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian uint32. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    /** ggml's GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;
    /** Deepest array nesting accepted (llama.cpp itself accepts none); guards against nesting bombs. */
    public static final int MAX_ARRAY_DEPTH = 8;

    private static final int MIN_KV_BYTES = 8 + 4 + 1;              // empty key, type, one byte of value
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8; // empty name, n_dims=0, type, offset

    private final String source;
    private final Arena arena;   // null when parsed from a caller's segment
    private MemorySegment mapped; // the whole file when open() mapped it, else null
    private final int version;
    private final long alignment;
    private final long dataOffset;
    private final Map<String, Object> metadata;
    private final Map<String, GgufType> types;
    private final List<StoredTensor> tensors;
    private final Map<String, StoredTensor> tensorsByName;
    private final Map<String, Long> tensorOffsets;

    private GgufFile(String source, Arena arena, int version, long alignment, long dataOffset,
                     Map<String, Object> metadata, Map<String, GgufType> types, List<StoredTensor> tensors,
                     Map<String, Long> tensorOffsets) {
        this.source = source;
        this.arena = arena;
        this.version = version;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.types = Collections.unmodifiableMap(types);
        this.tensors = List.copyOf(tensors);
        Map<String, StoredTensor> byName = new LinkedHashMap<>();
        for (StoredTensor t : tensors) byName.put(t.name(), t);
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.tensorOffsets = Collections.unmodifiableMap(tensorOffsets);
    }

    /** Maps {@code path} read-only into a shared arena and parses it; close the result to unmap. */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            GgufFile file = parse(path.toString(), mapped, arena);
            file.mapped = mapped;
            return file;
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses GGUF bytes the caller owns (a mapping, or a heap segment in tests); {@code source} names them
     * in errors. The tensors are slices of {@code bytes}; {@link #close()} does nothing to them.
     */
    public static GgufFile parse(String source, MemorySegment bytes) throws ModelFileException {
        return parse(source, bytes, null);
    }

    private static GgufFile parse(String source, MemorySegment bytes, Arena arena) throws ModelFileException {
        GgufCursor c = new GgufCursor(source, bytes);
        if (c.size() < 4 + 4 + 8 + 8) {
            if (c.size() >= 4 && magicOf(bytes) != MAGIC) throw notGguf(c, bytes);
            throw c.error("file is " + c.size() + " bytes, shorter than a GGUF header (24 bytes): truncated or not a GGUF file");
        }
        int magic = c.i32("magic");
        if (magic != MAGIC) throw notGguf(c, bytes);
        int version = c.i32("version");
        if (version != 2 && version != 3) throw badVersion(c, version);
        long tensorCount = c.count("tensor count", MIN_TENSOR_INFO_BYTES);
        long kvCount = c.count("metadata key/value count", MIN_KV_BYTES);

        // uint64 kv count: each key/value pair
        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, GgufType> types = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = c.position();
            String key = c.string("metadata key #" + i);
            if (metadata.containsKey(key)) {
                throw c.error("metadata key '" + key + "' appears twice (second time at byte " + at + "): the file is corrupt");
            }
            long typeAt = c.position();
            GgufValueType vt = valueType(c, c.u32("value type of '" + key + "'"), typeAt, "metadata '" + key + "'");
            Typed value = vt == GgufValueType.ARRAY
                    ? readArray(c, "metadata '" + key + "'", 1)
                    : new Typed(GgufType.of(vt), readScalar(c, vt, "metadata '" + key + "'"));
            metadata.put(key, value.value());
            types.put(key, value.type());
        }

        long alignment = DEFAULT_ALIGNMENT;
        if (metadata.containsKey(ALIGNMENT_KEY)) {
            GgufType t = types.get(ALIGNMENT_KEY);
            long a = metadata.get(ALIGNMENT_KEY) instanceof Long l ? l : -1;
            if (!t.equals(GgufType.UINT32) || a <= 0 || Long.bitCount(a) != 1) {
                throw c.error(ALIGNMENT_KEY + " must be a uint32 power of two, but is " + metadata.get(ALIGNMENT_KEY)
                        + " of type " + t + ": the file is corrupt");
            }
            alignment = a;
        }

        // tensor infos; data offsets are checked once the data section's start is known
        record Info(String name, DType dtype, long[] shape, long offset, long bytes) {
        }
        List<Info> infos = new ArrayList<>((int) Math.min(tensorCount, 4096));
        Map<String, Long> offsets = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = c.string("name of tensor #" + i);
            String what = "tensor '" + name + "'";
            if (offsets.containsKey(name)) throw c.error(what + " appears twice in the tensor table: the file is corrupt");
            long nDims = c.u32("dimension count of " + what);
            if (nDims > MAX_DIMS) {
                throw c.error(what + " has " + nDims + " dimensions; GGUF allows at most " + MAX_DIMS + ": the file is corrupt");
            }
            long[] ne = new long[(int) nDims];
            for (int d = 0; d < nDims; d++) {
                ne[d] = c.i64("dimension " + d + " of " + what);
                if (ne[d] < 0) {
                    throw c.error(what + " has dimension ne[" + d + "] = " + Long.toUnsignedString(ne[d]) + ": the file is corrupt");
                }
            }
            long typeAt = c.position();
            long typeId = c.u32("type of " + what);
            DType dtype = dtypeOf(c, typeId, what, typeAt);
            long offset = c.i64("data offset of " + what);
            if (offset < 0) throw c.error(what + " has data offset " + Long.toUnsignedString(offset) + ": the file is corrupt");

            long elements = 1;
            for (long d : ne) {
                if (d != 0 && Math.multiplyHigh(elements, d) != 0 || elements * d < 0) {
                    throw c.error(what + " has shape ne=" + java.util.Arrays.toString(ne)
                            + " whose element count overflows 64 bits: the file is corrupt");
                }
                elements *= d;
            }
            if (nDims > 0 && ne[0] % dtype.blockSize != 0) {
                throw c.error(what + " has rows of " + ne[0] + " elements, not a multiple of " + dtype + "'s block of "
                        + dtype.blockSize + ": the file is corrupt");
            }
            if (elements % dtype.blockSize != 0) {
                throw c.error(what + " has " + elements + " elements, not a whole number of " + dtype + " blocks");
            }
            long blocks = elements / dtype.blockSize;
            if (Math.multiplyHigh(blocks, dtype.blockBytes) != 0 || blocks * dtype.blockBytes < 0) {
                throw c.error(what + " of " + elements + " " + dtype + " elements needs more than 2^63 bytes: the file is corrupt");
            }
            long[] shape = new long[(int) nDims];
            for (int d = 0; d < nDims; d++) shape[d] = ne[(int) nDims - 1 - d];
            infos.add(new Info(name, dtype, shape, offset, blocks * dtype.blockBytes));
            offsets.put(name, offset);
        }

        long headerEnd = c.position();
        long dataOffset = alignUp(headerEnd, alignment);
        long size = c.size();
        if (!infos.isEmpty() && dataOffset > size) {
            throw c.error("the tensor data section would start at byte " + dataOffset + ", past the end of the file ("
                    + size + " bytes): the file is truncated");
        }
        long dataBytes = Math.max(0, size - dataOffset);
        for (Info t : infos) {
            String what = "tensor '" + t.name() + "'";
            if (t.offset() % alignment != 0) {
                throw c.error(what + " has data offset " + t.offset() + ", not a multiple of the alignment " + alignment
                        + ": the file is corrupt");
            }
            if (t.offset() > dataBytes || t.bytes() > dataBytes - t.offset()) {
                throw c.error(what + " (" + t.dtype() + java.util.Arrays.toString(t.shape()) + ", " + t.bytes()
                        + " bytes at data offset " + t.offset() + ") runs past the end of the file (data section has "
                        + dataBytes + " bytes): the file is truncated or corrupt");
            }
        }
        List<Info> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(Info::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            Info prev = byOffset.get(i - 1), next = byOffset.get(i);
            if (prev.offset() + prev.bytes() > next.offset()) {
                throw c.error("tensor '" + prev.name() + "' (bytes " + prev.offset() + ".." + (prev.offset() + prev.bytes())
                        + " of the data section) overlaps tensor '" + next.name() + "' (from " + next.offset()
                        + "): the file is corrupt");
            }
        }
        List<StoredTensor> tensors = new ArrayList<>(infos.size());
        for (Info t : infos) {
            tensors.add(new StoredTensor(t.name(), t.dtype(), t.shape(), bytes.asSlice(dataOffset + t.offset(), t.bytes())));
        }
        return new GgufFile(source, arena, version, alignment, dataOffset, metadata, types, tensors, offsets);
    }

    private record Typed(GgufType type, Object value) {
    }

    private static Object readScalar(GgufCursor c, GgufValueType t, String what) throws ModelFileException {
        return switch (t) {
            case UINT8 -> (long) c.u8(what);
            case INT8 -> (long) c.i8(what);
            case UINT16 -> (long) Short.toUnsignedInt(c.i16(what));
            case INT16 -> (long) c.i16(what);
            case UINT32 -> c.u32(what);
            case INT32 -> (long) c.i32(what);
            case UINT64, INT64 -> c.i64(what); // uint64 above Long.MAX_VALUE keeps its bits (reads negative)
            case FLOAT32 -> Float.intBitsToFloat(c.i32(what));
            case FLOAT64 -> Double.longBitsToDouble(c.i64(what));
            case BOOL -> {
                long at = c.position();
                int b = c.u8(what);
                if (b > 1) throw c.error(what + " is a bool with byte value " + b + " at byte " + at + " (must be 0 or 1): the file is corrupt");
                yield b == 1;
            }
            case STRING -> c.string(what);
            case ARRAY -> throw new IllegalStateException("arrays are read by readArray");
        };
    }

    /** uint32 element type, uint64 count, elements; nested arrays recurse up to MAX_ARRAY_DEPTH. */
    private static Typed readArray(GgufCursor c, String what, int depth) throws ModelFileException {
        if (depth > MAX_ARRAY_DEPTH) {
            throw c.error(what + " nests arrays deeper than " + MAX_ARRAY_DEPTH + " levels (at byte " + c.position()
                    + "): the file is corrupt or hostile");
        }
        long typeAt = c.position();
        GgufValueType elementType = valueType(c, c.u32("element type of " + what), typeAt, "elements of " + what);
        long n = c.count("element count of " + what, elementType.minimumSize());
        List<Object> values = new ArrayList<>((int) Math.min(n, 4096));
        if (elementType != GgufValueType.ARRAY) {
            for (long i = 0; i < n; i++) values.add(readScalar(c, elementType, what));
            return new Typed(new GgufType.Array(GgufType.of(elementType)), Collections.unmodifiableList(values));
        }
        List<GgufType> innerTypes = new ArrayList<>((int) Math.min(n, 4096));
        for (long i = 0; i < n; i++) {
            Typed inner = readArray(c, what + "[" + i + "]", depth + 1);
            values.add(inner.value());
            innerTypes.add(inner.type());
        }
        boolean uniform = !innerTypes.isEmpty() && innerTypes.stream().allMatch(innerTypes.getFirst()::equals);
        GgufType type = uniform ? new GgufType.Array(innerTypes.getFirst()) : new GgufType.MixedArray(innerTypes);
        return new Typed(type, Collections.unmodifiableList(values));
    }

    private static GgufValueType valueType(GgufCursor c, long id, long at, String what) throws ModelFileException {
        GgufValueType t = GgufValueType.ofId(id);
        if (t == null) {
            throw c.error(what + " has unknown GGUF value type id " + id + " at byte " + at
                    + " (known: 0..12): the file is corrupt or from a newer GGUF version");
        }
        return t;
    }

    private static DType dtypeOf(GgufCursor c, long id, String what, long at) throws ModelFileException {
        for (DType t : DType.values()) {
            if (t.ggmlType >= 0 && t.ggmlType == id) return t;
        }
        throw c.error(what + " has ggml type id " + id + " (at byte " + at + "), which slmops does not know"
                + " (known: " + java.util.Arrays.stream(DType.values()).filter(t -> t.ggmlType >= 0)
                .map(t -> t + "=" + t.ggmlType).collect(java.util.stream.Collectors.joining(", "))
                + "): re-quantize the model to one of these with llama.cpp's llama-quantize");
    }

    private static int magicOf(MemorySegment bytes) {
        return bytes.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0);
    }

    private static ModelFileException notGguf(GgufCursor c, MemorySegment bytes) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < 4; i++) hex.append(String.format("%02x ", bytes.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i)));
        return c.error("not a GGUF file: it starts with bytes " + hex.toString().trim()
                + ", expected 47 47 55 46 (\"GGUF\"); give a .gguf file or a Hugging Face model directory");
    }

    private static ModelFileException badVersion(GgufCursor c, int version) {
        int swapped = Integer.reverseBytes(version);
        if (version == 1) {
            return c.error("GGUF version 1 (32-bit counts, 2023) is not supported: re-convert the model with a current"
                    + " llama.cpp (convert_hf_to_gguf.py), which writes version 3");
        }
        if ((version & 0xFFFF) == 0 && swapped >= 1 && swapped <= 3) {
            return c.error("this is a big-endian GGUF (version " + swapped + " stored big-endian); slmops reads only"
                    + " little-endian GGUF: convert it without --bigendian");
        }
        return c.error("unsupported GGUF version " + Integer.toUnsignedString(version) + " (slmops reads versions 2 and 3)");
    }

    static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    /** The file path (or source name) errors mention. */
    public String source() {
        return source;
    }

    /** 2 or 3. */
    public int version() {
        return version;
    }

    /** general.alignment, or 32 when the file does not set it. */
    public long alignment() {
        return alignment;
    }

    /** Byte offset of the tensor data section in the file. */
    public long dataOffset() {
        return dataOffset;
    }

    /**
     * Every metadata key and value in file order, as plain Java (see {@link GgufValueType}): integers as Long
     * (uint64 above Long.MAX_VALUE keeps its bits), float32 as Float, float64 as Double, bool as Boolean,
     * string as String, arrays as unmodifiable Lists (nested for nested arrays).
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The on-disk type of a key's value (null when absent): what a writer needs to reproduce it exactly. */
    public GgufType metadataType(String key) {
        return types.get(key);
    }

    /** general.architecture, e.g. "llama"; null when absent. */
    public String architecture() {
        return metadata.get("general.architecture") instanceof String s ? s : null;
    }

    /** All tensors in file order, with their GGUF names; shapes outermost first. */
    public List<StoredTensor> tensors() {
        return tensors;
    }

    public boolean hasTensor(String name) {
        return tensorsByName.containsKey(name);
    }

    /** The tensor with this GGUF name, or a NoSuchElementException naming the file. */
    public StoredTensor tensor(String name) {
        StoredTensor t = tensorsByName.get(name);
        if (t == null) throw new NoSuchElementException(source + " has no tensor named '" + name + "'");
        return t;
    }

    /** A tensor's data offset relative to {@link #dataOffset()}, as the tensor table states it. */
    public long tensorOffset(String name) {
        Long o = tensorOffsets.get(name);
        if (o == null) throw new NoSuchElementException(source + " has no tensor named '" + name + "'");
        return o;
    }

    /**
     * Drops the mapping's pages from this process's resident set (madvise DONTNEED through
     * {@link MemorySegment#unload()}); the tensors stay readable and fault pages back in on use. The engine calls it
     * after repacking the weights onto the heap, so the file is not counted twice in RSS. Does nothing for a
     * file {@link #parse parsed} from a caller's segment.
     */
    public void releaseResidentPages() {
        if (mapped != null && arena.scope().isAlive()) mapped.unload();
    }

    /** Unmaps the file (when {@link #open} mapped it); tensor data must not be used afterwards. */
    @Override
    public void close() {
        if (arena != null) arena.close();
    }

    @Override
    public String toString() {
        return "GGUF v" + version + " " + source + " (" + metadata.size() + " keys, " + tensors.size() + " tensors)";
    }
}
