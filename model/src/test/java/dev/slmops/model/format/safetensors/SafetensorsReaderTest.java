package dev.slmops.model.format.safetensors;

import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The reader on files assembled by hand from the spec: what it accepts, and the message for each defect. */
class SafetensorsReaderTest {

    private static SafetensorsFile parse(byte[] bytes) throws ModelFileException {
        return SafetensorsFile.parse(MemorySegment.ofArray(bytes), "test.safetensors");
    }

    private static void rejects(byte[] bytes, String... fragments) {
        assertThatThrownBy(() -> parse(bytes)).isInstanceOf(ModelFileException.class)
                .hasMessageStartingWith("test.safetensors: ")
                .hasMessageContainingAll(fragments);
    }

    @Test
    void readsTensorsAsMappedSlicesInDataOrder(@TempDir Path dir) throws Exception {
        // b at [0,8) as two F32 (1.0, 2.0); a at [8,10) as one BF16 (1.0 = 0x3F80)
        byte[] header = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[8,10]},\"__metadata__\":{\"k\":\"v\"},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] data = {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, 0x40, (byte) 0x80, 0x3F};
        Path p = dir.resolve("x.safetensors");
        Files.write(p, HandMade.file(header, data));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.names()).containsExactly("b", "a");
            assertThat(f.metadata()).containsExactly(java.util.Map.entry("k", "v"));
            StoredTensor b = f.tensor("b");
            assertThat(b.dtype()).isEqualTo(DType.F32);
            assertThat(b.data().isMapped()).isTrue();
            assertThat(b.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 1)).isEqualTo(2.0f);
            StoredTensor a = f.tensor("a");
            assertThat(FloatConversions.bf16ToF32(a.data().get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0))).isEqualTo(1.0f);
            assertThat(f.header().dataStart()).isEqualTo(8 + header.length);
            assertThatThrownBy(() -> f.tensor("c")).isInstanceOf(ModelFileException.class).hasMessageContaining("has no tensor \"c\"");
        }
    }

    @Test
    void tensorsAreUnusableAfterClose(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("x.safetensors");
        Files.write(p, HandMade.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1));
        StoredTensor t;
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            t = f.tensor("a");
        }
        assertThatThrownBy(() -> t.data().get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void acceptsEmptyAndScalarTensorsAndNoTensors() throws Exception {
        try (SafetensorsFile f = parse(HandMade.file("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]},"
                + "\"s\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}", 8))) {
            assertThat(f.tensor("e").byteSize()).isZero();
            assertThat(f.tensor("s").rank()).isZero();
        }
        try (SafetensorsFile f = parse(HandMade.file("{}      ", 0))) {
            assertThat(f.tensors()).isEmpty();
        }
    }

    @Test
    void headerLengthIsCheckedAgainstTheFileBeforeAnythingIsAllocated() {
        // 2^40 bytes claimed in a 10-byte file: rejected without allocating a terabyte.
        rejects(HandMade.withLength(1L << 40, "{}".getBytes(), new byte[0]), "header length 1099511627776 exceeds the file (10 bytes)");
        rejects(HandMade.withLength(-1L, "{}".getBytes(), new byte[0]), "header length 18446744073709551615");
        rejects(new byte[]{8, 0, 0}, "is 3 bytes: too short");
        rejects(HandMade.withLength(0, new byte[0], new byte[0]), "too short for a JSON object");
    }

    @Test
    void headerOver100MbIsRejectedEvenWhenTheFileIsThatLarge(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("big.safetensors");
        try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(HandMade.withLength(100_000_001L, new byte[0], new byte[0])));
            ch.write(java.nio.ByteBuffer.wrap(new byte[]{'{'}), 8L + 100_000_001L - 1); // sparse file
        }
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("exceeds the safetensors limit of 100000000 bytes");
    }

    @Test
    void namesEachStructuralDefect() {
        rejects(HandMade.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "gap of 4 bytes before tensor \"a\"");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                "tensor \"b\" (data_offsets [4, 8]) overlaps tensor \"a\"");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8), "tensors cover 4 of the 8 bytes");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "end past the data section (8 bytes)");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "is 8 bytes", "needs 12");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}", 0), "overflows a 64-bit byte count");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4), "end before begin");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", 1), "shape[0] is -1, expected a non-negative integer");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1e2]}}", 1), "data_offsets[1] is 100.0");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[99999999999999999999],\"data_offsets\":[0,1]}}", 1), "shape[0]");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1), "has no data_offsets");
        rejects(HandMade.file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "has no dtype");
        rejects(HandMade.file("{\"a\":[1]}", 1), "tensor \"a\" is an array");
    }

    @Test
    void namesBadJsonBadUtf8AndDuplicates() {
        rejects(HandMade.file("{\"a\":{\"dtype\":\"F32\",", 0), "is not valid JSON");
        rejects(HandMade.file("[1, 2]  ", 0), "does not start with '{'");
        rejects(HandMade.file("{} {}", 0), "is not valid JSON");
        byte[] badName = "{\"\u00ff\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}".getBytes(StandardCharsets.ISO_8859_1);
        rejects(HandMade.file(badName, new byte[1]), "header is not valid UTF-8");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
                "Duplicate field 'a'");
        rejects(HandMade.file("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__ value of \"k\" is an integer");
        rejects(HandMade.file("{\"__metadata__\":[]}", 0), "__metadata__ is an array");
    }

    @Test
    void namesUnsupportedDtypes() {
        rejects(HandMade.file("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
                "dtype F8_E4M3 is a valid safetensors dtype that slmops does not read yet");
        rejects(HandMade.file("{\"a\":{\"dtype\":\"F7\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "unknown dtype \"F7\"");
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        assertThatThrownBy(() -> SafetensorsFile.open(dir.resolve("nope.safetensors")))
                .isInstanceOf(ModelFileException.class).hasMessageEndingWith("nope.safetensors: does not exist");
    }
}
