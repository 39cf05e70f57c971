package dev.slmops.model.format.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.slmops.model.format.SafeFiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes one safetensors file the way the reference implementation does: tensors sorted by descending dtype
 * alignment ({@link SafetensorsDtypes#alignmentRank}) then by name, the header listing {@code __metadata__} first
 * and then the tensors in data order, padded with spaces to a multiple of 8 bytes so every tensor starts 8-aligned.
 * Tensor bytes are streamed from each {@link TensorToWrite}; the file appears only when complete (written to a
 * temporary sibling, forced to disk, then atomically renamed over {@code target}).
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {
    }

    /** The metadata PyTorch's {@code save_file} and transformers write; what loaders expect when none is given. */
    public static final Map<String, String> DEFAULT_METADATA = Map.of("format", "pt");

    /** Writes {@code tensors} with {@code {"format":"pt"}} metadata. */
    public static void write(Path target, List<TensorToWrite> tensors) throws IOException {
        write(target, tensors, DEFAULT_METADATA);
    }

    /** Writes {@code tensors} with the given metadata (null or empty: no {@code __metadata__} entry). */
    public static void write(Path target, List<TensorToWrite> tensors, Map<String, String> metadata)
            throws IOException {
        List<TensorToWrite> ordered = dataOrder(tensors);
        byte[] header = header(ordered, metadata);
        Path tmp = tempSibling(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(header));
                for (TensorToWrite t : ordered) {
                    long wrote = t.bytes().writeCounted(ch);
                    if (wrote != t.byteSize()) {
                        throw new IOException("tensor \"" + t.name() + "\" wrote " + wrote + " bytes, expected "
                                + t.byteSize() + " for " + t.dtype() + java.util.Arrays.toString(t.shape()));
                    }
                }
                ch.force(true);
            }
            moveIntoPlace(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The reference's data order: descending dtype alignment rank, then name (by UTF-16 code unit, as String sorts). */
    public static List<TensorToWrite> dataOrder(List<TensorToWrite> tensors) {
        Set<String> seen = new HashSet<>();
        for (TensorToWrite t : tensors) {
            if (!seen.add(t.name())) throw new IllegalArgumentException("duplicate tensor name \"" + t.name() + "\"");
            if (t.name().equals("__metadata__")) {
                throw new IllegalArgumentException("a tensor cannot be named __metadata__ (reserved by the format)");
            }
            SafetensorsDtypes.nameOf(t.dtype()); // rejects dtypes safetensors cannot hold
        }
        List<TensorToWrite> ordered = new ArrayList<>(tensors);
        ordered.sort(Comparator.comparingInt((TensorToWrite t) -> -SafetensorsDtypes.alignmentRank(t.dtype()))
                .thenComparing(TensorToWrite::name, SafetensorsWriter::compareUtf8));
        return ordered;
    }

    /** Rust sorts strings by UTF-8 bytes; that equals code point order, which differs from UTF-16 only above U+FFFF. */
    static int compareUtf8(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** The header bytes (JSON + space padding to a multiple of 8) for tensors already in data order. */
    static byte[] header(List<TensorToWrite> ordered, Map<String, String> metadata) {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        // Characters above U+FFFF go out as 4-byte UTF-8 (serde_json does), not as \uD835\uDD18 escape pairs.
        JsonFactory factory = JsonFactory.builder().enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
        try (JsonGenerator g = factory.createGenerator(json)) {
            g.writeStartObject();
            if (metadata != null && !metadata.isEmpty()) {
                g.writeObjectFieldStart("__metadata__");
                for (Map.Entry<String, String> kv : new java.util.TreeMap<>(metadata).entrySet()) {
                    g.writeStringField(kv.getKey(), kv.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (TensorToWrite t : ordered) {
                g.writeObjectFieldStart(t.name());
                g.writeStringField("dtype", SafetensorsDtypes.nameOf(t.dtype()));
                g.writeArrayFieldStart("shape");
                for (long d : t.shape()) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                offset = Math.addExact(offset, t.byteSize());
                g.writeNumber(offset);
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        int pad = (8 - json.size() % 8) % 8;
        for (int i = 0; i < pad; i++) json.write(' ');
        return json.toByteArray();
    }

    /** Just the header JSON as a string (tests and diagnostics). */
    public static String headerJson(List<TensorToWrite> tensors, Map<String, String> metadata) {
        return new String(header(dataOrder(tensors), metadata), StandardCharsets.UTF_8);
    }

    static Path tempSibling(Path target) {
        Path abs = target.toAbsolutePath();
        return abs.resolveSibling("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(System.nanoTime()));
    }

    /** Atomic rename where the filesystem allows it (same directory, so it always should). */
    static void moveIntoPlace(Path tmp, Path target) throws IOException {
        SafeFiles.moveIntoPlace(tmp, target);
    }

    static void writeFully(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

}
