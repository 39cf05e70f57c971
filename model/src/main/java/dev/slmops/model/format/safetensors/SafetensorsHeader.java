package dev.slmops.model.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated header of a safetensors file. The layout (little-endian throughout):
 * <pre>
 *   u64        N            header length in bytes
 *   u8[N]      header       UTF-8 JSON object: {"__metadata__": {str: str}?, name: {"dtype", "shape", "data_offsets"}...}
 *   u8[...]    data         the tensors; data_offsets [begin, end) are relative to the start of this section
 * </pre>
 * Validation follows the reference implementation and is a little stricter: the header length must fit the file
 * (checked before anything is allocated) and stay under 100 MB; the header must be valid UTF-8 and JSON with no
 * duplicate names; each tensor's byte length must equal its dtype size times the product of its shape (no overflow);
 * sorted by offset, the tensors must tile the data section exactly: no gap, no overlap, nothing left over.
 */
public record SafetensorsHeader(long headerLength, List<Entry> entries, Map<String, String> metadata) {

    /** The reference implementation refuses headers above this (a denial-of-service guard); so do we. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** One tensor's header entry; {@code begin}/{@code end} are byte offsets into the data section. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public long byteSize() {
            return end - begin;
        }
    }

    public SafetensorsHeader {
        entries = List.copyOf(entries);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Where the data section starts in the file: after the 8-byte length and the header. */
    public long dataStart() {
        return 8 + headerLength;
    }

    /**
     * Parses the header of a whole safetensors file given as one segment (mapped file or bytes under test).
     * {@code source} names the file in errors. Entries come back in data order.
     */
    public static SafetensorsHeader parse(MemorySegment file, String source) throws ModelFileException {
        long fileSize = file.byteSize();
        if (fileSize < 8) {
            throw new ModelFileException(source, "is " + fileSize + " bytes: too short for a safetensors file "
                    + "(it starts with an 8-byte header length)");
        }
        long n = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        // n is a u64: a negative long means >= 2^63, certainly past the end.
        if (n < 0 || n > fileSize - 8) {
            throw new ModelFileException(source, "header length " + Long.toUnsignedString(n) + " exceeds the file ("
                    + fileSize + " bytes): not a safetensors file, or truncated");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new ModelFileException(source, "header length " + n + " exceeds the safetensors limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        if (n < 2) {
            throw new ModelFileException(source, "header length " + n + " is too short for a JSON object");
        }
        byte[] headerBytes = new byte[(int) n];
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, 8, headerBytes, 0, (int) n);
        String json = decodeUtf8(headerBytes, source);
        if (json.stripLeading().isEmpty() || json.stripLeading().charAt(0) != '{') {
            throw new ModelFileException(source, "header does not start with '{': not a safetensors file");
        }
        JsonNode root = JsonFiles.parse(json, source, "header");
        if (!root.isObject()) {
            throw new ModelFileException(source, "header is " + JsonFiles.kindOf(root) + ", expected a JSON object");
        }

        long dataSize = fileSize - 8 - n;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>(root.size());
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals("__metadata__")) {
                readMetadata(field.getValue(), metadata, source);
            } else {
                entries.add(readEntry(field.getKey(), field.getValue(), dataSize, source));
            }
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        checkTiling(entries, dataSize, source);
        return new SafetensorsHeader(n, entries, metadata);
    }

    private static String decodeUtf8(byte[] bytes, String source) throws ModelFileException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFileException(source, "header is not valid UTF-8 (" + e.getMessage()
                    + "): tensor names and metadata must be UTF-8");
        }
    }

    private static void readMetadata(JsonNode node, Map<String, String> out, String source)
            throws ModelFileException {
        if (!node.isObject()) {
            throw new ModelFileException(source, "__metadata__ is " + JsonFiles.kindOf(node)
                    + ", expected an object of string values");
        }
        for (Map.Entry<String, JsonNode> kv : node.properties()) {
            if (!kv.getValue().isTextual()) {
                throw new ModelFileException(source, "__metadata__ value of \"" + kv.getKey() + "\" is "
                        + JsonFiles.kindOf(kv.getValue()) + "; safetensors metadata values must be strings");
            }
            out.put(kv.getKey(), kv.getValue().textValue());
        }
    }

    private static Entry readEntry(String name, JsonNode node, long dataSize, String source)
            throws ModelFileException {
        String where = "tensor \"" + name + "\"";
        if (!node.isObject()) {
            throw new ModelFileException(source, where + " is " + JsonFiles.kindOf(node)
                    + ", expected an object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFileException(source, where + " has no dtype string");
        }
        DType dtype = SafetensorsDtypes.fromName(dtypeNode.textValue());
        if (dtype == null) {
            throw new ModelFileException(source, where + ": " + SafetensorsDtypes.unsupportedReason(dtypeNode.textValue()));
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new ModelFileException(source, where + " has no shape array");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(shapeNode.get(i), where + " shape[" + i + "]", source);
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new ModelFileException(source, where + " has no data_offsets [begin, end] pair");
        }
        long begin = nonNegativeLong(offsets.get(0), where + " data_offsets[0]", source);
        long end = nonNegativeLong(offsets.get(1), where + " data_offsets[1]", source);
        if (end < begin) {
            throw new ModelFileException(source, where + " data_offsets [" + begin + ", " + end + "] end before begin");
        }
        if (end > dataSize) {
            throw new ModelFileException(source, where + " data_offsets [" + begin + ", " + end
                    + "] end past the data section (" + dataSize + " bytes): file truncated or header corrupt");
        }
        long expected;
        try {
            long elements = 1;
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            expected = dtype.bytesFor(elements);
        } catch (ArithmeticException e) {
            throw new ModelFileException(source, where + " shape " + Arrays.toString(shape) + " of " + dtype
                    + " overflows a 64-bit byte count");
        }
        if (end - begin != expected) {
            throw new ModelFileException(source, where + " is " + (end - begin) + " bytes (data_offsets [" + begin
                    + ", " + end + "]) but " + dtype + Arrays.toString(shape) + " needs " + expected);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long nonNegativeLong(JsonNode node, String what, String source) throws ModelFileException {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0) {
            throw new ModelFileException(source, what + " is " + (node == null ? "missing" : node.toString())
                    + ", expected a non-negative integer");
        }
        return node.longValue();
    }

    /** Sorted by offset, tensors must cover [0, dataSize) exactly once: the reference's "no gap, no overlap" rule. */
    private static void checkTiling(List<Entry> entries, long dataSize, String source) throws ModelFileException {
        long covered = 0;
        Entry previous = null;
        for (Entry e : entries) {
            if (e.begin() > covered) {
                throw new ModelFileException(source, "gap of " + (e.begin() - covered) + " bytes before tensor \""
                        + e.name() + "\" (data_offsets [" + e.begin() + ", " + e.end() + "]): safetensors requires "
                        + "tensors to cover the data section without gaps");
            }
            if (e.begin() < covered) {
                throw new ModelFileException(source, "tensor \"" + e.name() + "\" (data_offsets [" + e.begin() + ", "
                        + e.end() + "]) overlaps tensor \"" + previous.name() + "\" (data_offsets [" + previous.begin()
                        + ", " + previous.end() + "])");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataSize) {
            throw new ModelFileException(source, "tensors cover " + covered + " of the " + dataSize
                    + " bytes after the header: trailing bytes not described by the header");
        }
    }
}
