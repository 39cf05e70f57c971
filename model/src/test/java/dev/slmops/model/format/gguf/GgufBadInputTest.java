package dev.slmops.model.format.gguf;

import dev.slmops.model.format.ModelFileException;
import dev.slmops.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Each kind of broken GGUF ends in a ModelFileException that names the file and the problem. */
class GgufBadInputTest {

    @TempDir
    Path dir;

    /** Writes {@code bytes} to a file, opens it, and returns the clean error it must raise. */
    private ModelFileException rejected(byte[] bytes) throws Exception {
        Path p = dir.resolve("bad.gguf");
        Files.write(p, bytes);
        ModelFileException e = catchThrowableOfType(ModelFileException.class, () -> {
            try (GgufFile f = GgufFile.open(p)) {
                throw new AssertionError("accepted: " + f);
            }
        });
        assertThat(e).as("a ModelFileException").isNotNull();
        assertThat(e.getMessage()).startsWith(p + ": ");
        assertThat(e.file()).isEqualTo(p.toString());
        return e;
    }

    private static byte[] valid() throws Exception {
        return GgufSamples.bytesOf(GgufSamples.everyType(), Files.createTempDirectory("gguf"), "valid.gguf");
    }

    @Test
    void emptyAndTinyFiles() throws Exception {
        assertThat(rejected(new byte[0])).hasMessageContaining("0 bytes, shorter than a GGUF header");
        assertThat(rejected("GGUF".getBytes(StandardCharsets.US_ASCII))).hasMessageContaining("shorter than a GGUF header");
    }

    @Test
    void wrongMagic() throws Exception {
        byte[] b = valid();
        b[0] = 'P';
        b[1] = 'K';
        assertThat(rejected(b)).hasMessageContaining("not a GGUF file: it starts with bytes 50 4b 55 46");
        assertThat(rejected("not a model file at all, just text".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("not a GGUF file");
    }

    @Test
    void versionOneIsRejectedWithAdvice() throws Exception {
        assertThat(rejected(RawGguf.header(1, 0, 0).toBytes()))
                .hasMessageContaining("GGUF version 1").hasMessageContaining("re-convert");
    }

    @Test
    void bigEndianIsDetected() throws Exception {
        byte[] b = new RawGguf().u32(GgufFile.MAGIC).u32(Integer.reverseBytes(3))
                .u64(Long.reverseBytes(0)).u64(Long.reverseBytes(0)).toBytes();
        assertThat(rejected(b)).hasMessageContaining("big-endian GGUF (version 3");
    }

    @Test
    void unknownVersion() throws Exception {
        assertThat(rejected(RawGguf.header(4, 0, 0).toBytes())).hasMessageContaining("unsupported GGUF version 4");
    }

    @Test
    void truncatedAnywhere() throws Exception {
        byte[] b = valid();
        GgufFile whole = GgufFile.parse("whole", java.lang.foreign.MemorySegment.ofArray(b));
        // every cut inside the header and the metadata, and a few inside the tensor data
        for (int cut : new int[]{24, 25, 31, 40, 100, 200, (int) whole.dataOffset() - 1, (int) whole.dataOffset() + 1, lastTensorEnd(whole) - 1}) {
            byte[] t = java.util.Arrays.copyOf(b, cut);
            assertThat(rejected(t).getMessage()).as("cut at " + cut).containsAnyOf("truncated", "corrupt");
        }
    }

    private static int lastTensorEnd(GgufFile f) {
        var last = f.tensors().getLast();
        return (int) (f.dataOffset() + f.tensorOffset(last.name()) + last.byteSize());
    }

    @Test
    void absurdTensorCount() throws Exception {
        assertThat(rejected(RawGguf.header(3, Long.MAX_VALUE, 0).zeros(64).toBytes()))
                .hasMessageContaining("tensor count is 9223372036854775807");
        assertThat(rejected(RawGguf.header(3, -1L, 0).zeros(64).toBytes()))
                .hasMessageContaining("tensor count is 18446744073709551615");
        assertThat(rejected(RawGguf.header(3, 0, 1L << 40).zeros(64).toBytes()))
                .hasMessageContaining("metadata key/value count is 1099511627776");
    }

    @Test
    void gigabyteStringsAndArrays() throws Exception {
        byte[] longKey = RawGguf.header(3, 0, 1).u64(3L << 30).bytes("ab".getBytes()).zeros(16).toBytes();
        assertThat(rejected(longKey)).hasMessageContaining("length of metadata key #0 is 3221225472");
        byte[] longValue = RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.STRING.id).u64(5L << 30).toBytes();
        assertThat(rejected(longValue)).hasMessageContaining("length of metadata 'k' is 5368709120");
        byte[] longArray = RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id)
                .u32(GgufValueType.UINT64.id).u64(1L << 31).u64(1).toBytes();
        assertThat(rejected(longArray)).hasMessageContaining("element count of metadata 'k' is 2147483648");
    }

    @Test
    void nestingBomb() throws Exception {
        RawGguf r = RawGguf.header(3, 0, 1).str("bomb").u32(GgufValueType.ARRAY.id);
        for (int i = 0; i < 10_000; i++) r.u32(GgufValueType.ARRAY.id).u64(1);
        assertThat(rejected(r.toBytes())).hasMessageContaining("nests arrays deeper than 8 levels");
    }

    @Test
    void nonUtf8Names() throws Exception {
        byte[] badKey = RawGguf.header(3, 0, 1).u64(2).bytes(new byte[]{(byte) 0xC3, (byte) 0x28})
                .u32(GgufValueType.UINT8.id).u8(1).toBytes();
        assertThat(rejected(badKey)).hasMessageContaining("metadata key #0 at byte 24 is not valid UTF-8");
        byte[] badTensor = RawGguf.header(3, 1, 0).u64(1).bytes(new byte[]{(byte) 0xFF})
                .u32(1).u64(4).u32(0).u64(0).pad(32).zeros(16).toBytes();
        assertThat(rejected(badTensor)).hasMessageContaining("name of tensor #0 at byte 24 is not valid UTF-8");
    }

    @Test
    void unknownTypes() throws Exception {
        byte[] badValueType = RawGguf.header(3, 0, 1).str("k").u32(13).u64(0).toBytes();
        assertThat(rejected(badValueType)).hasMessageContaining("unknown GGUF value type id 13");
        byte[] badDtype = RawGguf.header(3, 1, 0).tensor("w", new long[]{4}, 99, 0).pad(32).zeros(64).toBytes();
        assertThat(rejected(badDtype)).hasMessageContaining("ggml type id 99").hasMessageContaining("Q8_0=8");
    }

    @Test
    void duplicates() throws Exception {
        byte[] dupKey = RawGguf.header(3, 0, 2).kvU32("a", 1).kvU32("a", 2).toBytes();
        assertThat(rejected(dupKey)).hasMessageContaining("metadata key 'a' appears twice");
        byte[] dupTensor = RawGguf.header(3, 2, 0).tensor("w", new long[]{4}, 0, 0).tensor("w", new long[]{4}, 0, 32)
                .pad(32).zeros(64).toBytes();
        assertThat(rejected(dupTensor)).hasMessageContaining("tensor 'w' appears twice");
    }

    @Test
    void overflowingAndNegativeDimensions() throws Exception {
        byte[] overflow = RawGguf.header(3, 1, 0).tensor("w", new long[]{1L << 32, 1L << 32}, 0, 0).pad(32).toBytes();
        assertThat(rejected(overflow)).hasMessageContaining("overflows 64 bits");
        byte[] bytesOverflow = RawGguf.header(3, 1, 0).tensor("w", new long[]{1L << 62}, 0, 0).pad(32).toBytes();
        assertThat(rejected(bytesOverflow)).hasMessageContaining("needs more than 2^63 bytes");
        byte[] negative = RawGguf.header(3, 1, 0).tensor("w", new long[]{-5}, 0, 0).pad(32).toBytes();
        assertThat(rejected(negative)).hasMessageContaining("ne[0] = 18446744073709551611");
        byte[] tooManyDims = RawGguf.header(3, 1, 0).tensor("w", new long[]{1, 1, 1, 1, 1}, 0, 0).pad(32).toBytes();
        assertThat(rejected(tooManyDims)).hasMessageContaining("5 dimensions; GGUF allows at most 4");
        byte[] partialBlock = RawGguf.header(3, 1, 0).tensor("w", new long[]{16, 2}, DType.Q8_0.ggmlType, 0).pad(32).zeros(68).toBytes();
        assertThat(rejected(partialBlock)).hasMessageContaining("rows of 16 elements, not a multiple of Q8_0's block of 32");
    }

    @Test
    void offsetsPastTheEndMisalignedOrOverlapping() throws Exception {
        byte[] pastEnd = RawGguf.header(3, 1, 0).tensor("w", new long[]{8}, 0, 64).pad(32).zeros(32).toBytes();
        assertThat(rejected(pastEnd)).hasMessageContaining("tensor 'w' (F32[8], 32 bytes at data offset 64) runs past the end");
        byte[] hugeOffset = RawGguf.header(3, 1, 0).tensor("w", new long[]{8}, 0, Long.MAX_VALUE - 31).pad(32).zeros(32).toBytes();
        assertThat(rejected(hugeOffset).getMessage()).containsAnyOf("runs past the end", "not a multiple");
        byte[] misaligned = RawGguf.header(3, 1, 0).tensor("w", new long[]{4}, 0, 4).pad(32).zeros(64).toBytes();
        assertThat(rejected(misaligned)).hasMessageContaining("data offset 4, not a multiple of the alignment 32");
        byte[] overlap = RawGguf.header(3, 2, 0).tensor("a", new long[]{16}, 0, 0).tensor("b", new long[]{8}, 0, 32)
                .pad(32).zeros(64).toBytes();
        assertThat(rejected(overlap)).hasMessageContaining("tensor 'a' (bytes 0..64 of the data section) overlaps tensor 'b'");
    }

    @Test
    void badAlignmentAndBool() throws Exception {
        assertThat(rejected(RawGguf.header(3, 0, 1).kvU32("general.alignment", 48).toBytes()))
                .hasMessageContaining("general.alignment must be a uint32 power of two, but is 48");
        assertThat(rejected(RawGguf.header(3, 0, 1).kvU32("general.alignment", 0).toBytes()))
                .hasMessageContaining("general.alignment must be");
        assertThat(rejected(RawGguf.header(3, 0, 1).kvString("general.alignment", "32").toBytes()))
                .hasMessageContaining("general.alignment must be");
        assertThat(rejected(RawGguf.header(3, 0, 1).str("b").u32(GgufValueType.BOOL.id).u8(7).toBytes()))
                .hasMessageContaining("bool with byte value 7");
    }

    @Test
    void aValidHandMadeFileIsAccepted() throws Exception {
        // the control for the cases above: the same RawGguf building blocks make a file the reader accepts
        byte[] ok = RawGguf.header(2, 2, 1).kvU32("general.alignment", 16)
                .tensor("a", new long[]{4}, 0, 0).tensor("b", new long[]{2, 2}, 1, 16).pad(16).zeros(32).toBytes();
        try (GgufFile f = GgufFile.parse("ok", java.lang.foreign.MemorySegment.ofArray(ok))) {
            assertThat(f.version()).isEqualTo(2);
            assertThat(f.tensor("b").shape()).containsExactly(2, 2);
            assertThat(f.tensor("b").dtype()).isEqualTo(DType.F16);
        }
        assertThatThrownBy(() -> GgufFile.parse("ok", java.lang.foreign.MemorySegment.ofArray(ok)).tensor("c"))
                .hasMessageContaining("ok has no tensor named 'c'");
    }
}
