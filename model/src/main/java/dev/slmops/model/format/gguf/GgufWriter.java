package dev.slmops.model.format.gguf;

import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF v3 file (little-endian): metadata of every type, then tensors streamed one at a time from
 * their {@link TensorBytes}s, so the whole model is never in memory. The file is written to a temporary
 * file in the target's directory and renamed over the target only when complete: a failure leaves no
 * half-written file.
 *
 * <p>The alignment is {@code general.alignment} when that key is set (a uint32 power of two), else 32.
 * Tensors are laid out in the order added, each at the next aligned offset, as llama.cpp's writer does;
 * so a file read with {@link GgufFile} and written back with {@link #copyOf} comes out byte-identical.
 *
 * <pre>{@code
 * new GgufWriter()
 *     .putString("general.architecture", "llama")
 *     .putUint32("llama.block_count", 2)
 *     .addTensor("token_embd.weight", DType.F16, new long[]{vocab, dim}, TensorBytes.converting(embed, DType.F16))
 *     .write(Path.of("model.gguf"));
 * }</pre>
 */
public final class GgufWriter {
    /** ggml's GGML_MAX_NAME (64) less the terminating NUL: the longest tensor name llama.cpp loads. */
    public static final int MAX_TENSOR_NAME_BYTES = 63;

    private record Entry(GgufType type, Object value) {
    }

    private record PendingTensor(String name, DType dtype, long[] shape, long bytes, TensorBytes source) {
    }

    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    /** A writer holding every key (with its exact type) and every tensor (raw bytes) of {@code file}. */
    public static GgufWriter copyOf(GgufFile file) {
        GgufWriter w = new GgufWriter().putAll(file);
        for (StoredTensor t : file.tensors()) w.addTensor(t);
        return w;
    }

    // ---- metadata ----

    /**
     * Sets {@code key} to {@code value} of GGUF type {@code type} (a new key goes last; an existing key keeps
     * its place). Integers may be any integral Number within the type's range (UINT64 takes any long, as
     * its bits); floats any Number; arrays a List whose elements fit the element type.
     */
    public GgufWriter put(String key, GgufType type, Object value) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("metadata key must be non-empty");
        utf8(key, "metadata key");
        metadata.put(key, new Entry(type, normalize(type, value, key, 1)));
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufType.STRING, value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufType.BOOL, value);
    }

    public GgufWriter putUint32(String key, long value) {
        return put(key, GgufType.UINT32, value);
    }

    public GgufWriter putInt32(String key, long value) {
        return put(key, GgufType.INT32, value);
    }

    public GgufWriter putUint64(String key, long value) {
        return put(key, GgufType.UINT64, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufType.FLOAT32, value);
    }

    public GgufWriter putFloat64(String key, double value) {
        return put(key, GgufType.FLOAT64, value);
    }

    /** An array of scalars of one type, e.g. {@code putArray("tokenizer.ggml.tokens", STRING, tokens)}. */
    public GgufWriter putArray(String key, GgufValueType elementType, List<?> values) {
        return put(key, GgufType.arrayOf(elementType), values);
    }

    /** Every key of {@code file}, in its order and with its exact types. */
    public GgufWriter putAll(GgufFile file) {
        for (Map.Entry<String, Object> e : file.metadata().entrySet()) {
            put(e.getKey(), file.metadataType(e.getKey()), e.getValue());
        }
        return this;
    }

    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** Sets general.alignment (a power of two); the default, 32, needs no key. */
    public GgufWriter alignment(int bytes) {
        if (bytes <= 0 || Integer.bitCount(bytes) != 1) throw new IllegalArgumentException("alignment must be a power of two: " + bytes);
        return putUint32(GgufFile.ALIGNMENT_KEY, bytes);
    }

    /** The keys set so far, with their values as {@link GgufFile#metadata()} would show them. */
    public Map<String, Object> metadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        metadata.forEach((k, e) -> m.put(k, e.value()));
        return Collections.unmodifiableMap(m);
    }

    // ---- tensors ----

    /**
     * Adds a tensor; {@code shape} is outermost first ({@code [rows, cols]} for a matrix), as everywhere in
     * slmops: the writer reverses it into GGUF's innermost-first ne[]. The source is not called until
     * {@link #write}.
     */
    public GgufWriter addTensor(String name, DType dtype, long[] shape, TensorBytes source) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("tensor name must be non-empty");
        int nameBytes = utf8(name, "tensor name").length;
        if (nameBytes > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' is " + nameBytes + " bytes; llama.cpp allows at most "
                    + MAX_TENSOR_NAME_BYTES);
        }
        if (!tensorNames.add(name)) throw new IllegalArgumentException("tensor '" + name + "' added twice");
        if (dtype.ggmlType < 0) throw new IllegalArgumentException(dtype + " has no GGUF type id (tensor '" + name + "')");
        if (shape.length > GgufFile.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape.length + " dimensions; GGUF allows " + GgufFile.MAX_DIMS);
        }
        long elements = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "' has negative dimension: " + Arrays.toString(shape));
            elements = Math.multiplyExact(elements, d);
        }
        if (shape.length > 0 && shape[shape.length - 1] % dtype.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' " + Arrays.toString(shape) + ": the innermost dimension must be a multiple of "
                    + dtype + "'s block of " + dtype.blockSize);
        }
        tensors.add(new PendingTensor(name, dtype, shape.clone(), dtype.bytesFor(elements), source));
        return this;
    }

    /** Adds a stored tensor as it is (name, dtype, shape and raw bytes). */
    public GgufWriter addTensor(StoredTensor t) {
        return addTensor(t.name(), t.dtype(), t.shape(), TensorBytes.of(t));
    }

    // ---- writing ----

    /** Writes the file: to a temporary file beside {@code target}, then an atomic rename onto it. */
    public void write(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        long alignment = alignment();
        // not Files.createTempFile: its 0600 permissions would carry over to the model file
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".partial");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                byte[] header = header(alignment);
                ByteBuffer hb = ByteBuffer.wrap(header);
                while (hb.hasRemaining()) ch.write(hb);
                long offset = 0;
                for (PendingTensor t : tensors) {
                    long wrote = t.source().writeCounted(ch);
                    if (wrote != t.bytes()) {
                        throw new IOException("tensor '" + t.name() + "' (" + t.dtype() + Arrays.toString(t.shape()) + ") should be "
                                + t.bytes() + " bytes but its source wrote " + wrote + "; " + target + " was not written");
                    }
                    long end = offset + t.bytes();
                    long padded = GgufFile.alignUp(end, alignment);
                    ByteBuffer zeros = ByteBuffer.allocate((int) (padded - end));
                    while (zeros.hasRemaining()) ch.write(zeros);
                    offset = padded;
                }
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    private long alignment() {
        Entry a = metadata.get(GgufFile.ALIGNMENT_KEY);
        if (a == null) return GgufFile.DEFAULT_ALIGNMENT;
        if (!a.type().equals(GgufType.UINT32) || !(a.value() instanceof Long l) || l <= 0 || Long.bitCount(l) != 1) {
            throw new IllegalArgumentException(GgufFile.ALIGNMENT_KEY + " must be a uint32 power of two, is " + a.value() + " " + a.type());
        }
        return l;
    }

    /** Everything before the tensor data: header, metadata, tensor infos, padding to the alignment. */
    private byte[] header(long alignment) {
        LittleEndianBytes out = new LittleEndianBytes();
        out.u32(GgufFile.MAGIC);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, Entry> e : metadata.entrySet()) {
            out.string(utf8(e.getKey(), "metadata key"));
            Entry v = e.getValue();
            out.u32(v.type().valueType().id);
            writeValue(out, v.type(), v.value());
        }
        long offset = 0;
        for (PendingTensor t : tensors) {
            out.string(utf8(t.name(), "tensor name"));
            out.u32(t.shape().length);
            for (int d = t.shape().length - 1; d >= 0; d--) out.u64(t.shape()[d]); // ne[0] is the innermost
            out.u32(t.dtype().ggmlType);
            out.u64(offset);
            offset = GgufFile.alignUp(offset + t.bytes(), alignment);
        }
        long padded = GgufFile.alignUp(out.size(), alignment);
        while (out.size() < padded) out.u8(0);
        return out.toByteArray();
    }

    private static void writeValue(LittleEndianBytes out, GgufType type, Object value) {
        switch (type) {
            case GgufType.Scalar s -> writeScalar(out, s.valueType(), value);
            case GgufType.Array a -> {
                List<?> list = (List<?>) value;
                out.u32(a.element().valueType().id);
                out.u64(list.size());
                for (Object o : list) {
                    if (a.element() instanceof GgufType.Scalar es) writeScalar(out, es.valueType(), o);
                    else writeArrayBody(out, a.element(), o);
                }
            }
            case GgufType.MixedArray m -> {
                List<?> list = (List<?>) value;
                out.u32(GgufValueType.ARRAY.id);
                out.u64(list.size());
                for (int i = 0; i < list.size(); i++) writeArrayBody(out, m.elements().get(i), list.get(i));
            }
        }
    }

    /** An array nested in an array: its element type, count and elements (no value-type id before it). */
    private static void writeArrayBody(LittleEndianBytes out, GgufType arrayType, Object value) {
        writeValue(out, arrayType, value);
    }

    private static void writeScalar(LittleEndianBytes out, GgufValueType t, Object v) {
        switch (t) {
            case UINT8, INT8 -> out.u8((int) (long) (Long) v);
            case UINT16, INT16 -> out.u16((int) (long) (Long) v);
            case UINT32, INT32 -> out.u32((int) (long) (Long) v);
            case UINT64, INT64 -> out.u64((Long) v);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) v));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) v));
            case BOOL -> out.u8((Boolean) v ? 1 : 0);
            case STRING -> out.string(utf8((String) v, "string value"));
            case ARRAY -> throw new IllegalStateException("arrays are written by writeValue");
        }
    }

    /** Checks {@code value} against {@code type} and returns it as GgufFile.metadata() would show it. */
    private static Object normalize(GgufType type, Object value, String key, int depth) {
        if (value == null) throw new IllegalArgumentException("metadata '" + key + "': null value");
        if (depth > GgufFile.MAX_ARRAY_DEPTH) throw new IllegalArgumentException("metadata '" + key + "': arrays nested too deep");
        return switch (type) {
            case GgufType.Scalar s -> normalizeScalar(s.valueType(), value, key);
            case GgufType.Array a -> {
                if (!(value instanceof List<?> list)) throw mismatch(key, type, value);
                List<Object> out = new ArrayList<>(list.size());
                for (Object o : list) out.add(normalize(a.element(), o, key, depth + 1));
                yield Collections.unmodifiableList(out);
            }
            case GgufType.MixedArray m -> {
                if (!(value instanceof List<?> list) || list.size() != m.elements().size()) throw mismatch(key, type, value);
                List<Object> out = new ArrayList<>(list.size());
                for (int i = 0; i < list.size(); i++) {
                    GgufType inner = m.elements().get(i);
                    if (inner.valueType() != GgufValueType.ARRAY) throw mismatch(key, type, value);
                    out.add(normalize(inner, list.get(i), key, depth + 1));
                }
                yield Collections.unmodifiableList(out);
            }
        };
    }

    private static Object normalizeScalar(GgufValueType t, Object v, String key) {
        GgufType type = GgufType.of(t);
        if (t.isInteger()) {
            if (!(v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte)) throw mismatch(key, type, v);
            long l = ((Number) v).longValue();
            if (!t.fits(l)) throw new IllegalArgumentException("metadata '" + key + "': " + l + " does not fit " + t);
            return l;
        }
        return switch (t) {
            case FLOAT32 -> v instanceof Number n ? n.floatValue() : fail(key, type, v);
            case FLOAT64 -> v instanceof Number n ? n.doubleValue() : fail(key, type, v);
            case BOOL -> v instanceof Boolean b ? b : fail(key, type, v);
            case STRING -> v instanceof String s ? s : fail(key, type, v);
            default -> fail(key, type, v);
        };
    }

    private static Object fail(String key, GgufType type, Object v) {
        throw mismatch(key, type, v);
    }

    private static IllegalArgumentException mismatch(String key, GgufType type, Object v) {
        return new IllegalArgumentException("metadata '" + key + "': value " + abbreviate(v) + " (" + v.getClass().getSimpleName()
                + ") does not match GGUF type " + type);
    }

    private static String abbreviate(Object v) {
        String s = String.valueOf(v);
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    private static byte[] utf8(String s, String what) {
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(s));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " " + abbreviate(s) + " is not valid Unicode (unpaired surrogate)", e);
        }
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class LittleEndianBytes extends ByteArrayOutputStream {
        void u8(int v) {
            write(v);
        }

        void u16(int v) {
            write(v);
            write(v >>> 8);
        }

        void u32(int v) {
            u16(v);
            u16(v >>> 16);
        }

        void u64(long v) {
            u32((int) v);
            u32((int) (v >>> 32));
        }

        void string(byte[] utf8) {
            u64(utf8.length);
            write(utf8, 0, utf8.length);
        }
    }
}
