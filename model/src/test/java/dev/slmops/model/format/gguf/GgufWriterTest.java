package dev.slmops.model.format.gguf;

import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufWriterTest {

    @TempDir
    Path dir;

    @Test
    void llamaCppConverterFileRoundTripsByteForByte() throws Exception {
        Path asset = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        Path copy = dir.resolve("copy.gguf");
        try (GgufFile original = GgufFile.open(asset)) {
            GgufWriter.copyOf(original).write(copy);
            try (GgufFile again = GgufFile.open(copy)) {
                assertThat(again.metadata()).isEqualTo(original.metadata());
                for (String k : original.metadata().keySet()) {
                    assertThat(again.metadataType(k)).as(k).isEqualTo(original.metadataType(k));
                }
                assertThat(again.dataOffset()).isEqualTo(original.dataOffset());
                assertThat(again.tensors()).hasSameSizeAs(original.tensors());
                for (StoredTensor t : original.tensors()) {
                    StoredTensor u = again.tensor(t.name());
                    assertThat(u.dtype()).isEqualTo(t.dtype());
                    assertThat(u.shape()).isEqualTo(t.shape());
                    assertThat(u.data().mismatch(t.data())).as(t.name()).isEqualTo(-1);
                }
            }
        }
        assertThat(Files.mismatch(asset, copy)).as("whole file identical").isEqualTo(-1);
    }

    @Test
    void everyValueTypeAndDtypeRoundTrips() throws Exception {
        GgufWriter w = GgufSamples.everyType();
        Path p = dir.resolve("types.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.metadata()).isEqualTo(w.metadata());
            assertThat(f.metadata().get("u64")).isEqualTo(-1L);
            assertThat(Long.toUnsignedString((Long) f.metadata().get("u64"))).isEqualTo("18446744073709551615");
            assertThat(f.metadata().get("str")).isEqualTo("héllo ✓ \uD83D\uDE00");
            assertThat(f.metadataType("arr.nested")).isEqualTo(new GgufType.Array(GgufType.arrayOf(GgufValueType.INT16)));
            assertThat(f.metadataType("arr.mixed")).isInstanceOf(GgufType.MixedArray.class);
            assertThat(f.tensors()).hasSize((int) Stream.of(DType.values()).filter(t -> t.ggmlType >= 0).count());
            for (StoredTensor t : f.tensors()) {
                assertThat(f.tensorOffset(t.name()) % 32).isZero();
            }
            Path again = dir.resolve("again.gguf");
            GgufWriter.copyOf(f).write(again);
            assertThat(Files.mismatch(p, again)).isEqualTo(-1);
        }
    }

    @Test
    void honoursAlignment() throws Exception {
        Path p = dir.resolve("aligned.gguf");
        new GgufWriter().alignment(64)
                .addTensor("a", DType.F32, new long[]{3}, TensorBytes.ofFloats(new float[]{1, 2, 3}, DType.F32))
                .addTensor("b", DType.F16, new long[]{5}, TensorBytes.ofFloats(new float[]{1, 2, 3, 4, 5}, DType.F16))
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.alignment()).isEqualTo(64);
            assertThat(f.dataOffset() % 64).isZero();
            assertThat(f.tensorOffset("a")).isZero();
            assertThat(f.tensorOffset("b")).isEqualTo(64);
            assertThat(Files.size(p)).isEqualTo(f.dataOffset() + 128);
        }
    }

    @Test
    void convertsBetweenF32F16AndBf16() throws Exception {
        float[] values = {0f, 1f, -2.5f, 65504f, 1e-8f, 3.14159265f, Float.POSITIVE_INFINITY, 1.00390625f, 1.01171875f};
        StoredTensor f32 = new StoredTensor("x", DType.F32, new long[]{values.length}, MemorySegment.ofArray(values));
        for (DType target : List.of(DType.F32, DType.F16, DType.BF16)) {
            Path p = dir.resolve("conv-" + target + ".gguf");
            new GgufWriter().addTensor("x", target, f32.shape(), TensorBytes.converting(f32, target)).write(p);
            try (GgufFile f = GgufFile.open(p)) {
                StoredTensor t = f.tensor("x");
                assertThat(t.dtype()).isEqualTo(target);
                for (int i = 0; i < values.length; i++) {
                    float expected = switch (target) {
                        case F16 -> Float.float16ToFloat(Float.floatToFloat16(values[i]));
                        case BF16 -> bf16Reference(values[i]);
                        default -> values[i];
                    };
                    assertThat(FloatConversions.read(target, t.data(), i)).as(target + "[" + i + "]").isEqualTo(expected);
                }
                // and back from the converted type to F32 again
                Path back = dir.resolve("back-" + target + ".gguf");
                new GgufWriter().addTensor("x", DType.F32, t.shape(), TensorBytes.converting(t, DType.F32)).write(back);
                try (GgufFile b = GgufFile.open(back)) {
                    for (int i = 0; i < values.length; i++) {
                        assertThat(b.tensor("x").data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * i))
                                .isEqualTo(FloatConversions.read(target, t.data(), i));
                    }
                }
            }
        }
    }

    /** bf16 by round-half-to-even of the float's top 16 bits, via BigDecimal-free integer arithmetic spelled out. */
    private static float bf16Reference(float v) {
        if (Float.isInfinite(v)) return v;
        int bits = Float.floatToIntBits(v);
        int upper = bits >>> 16, lower = bits & 0xFFFF;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1)) upper++;
        return Float.intBitsToFloat(upper << 16);
    }

    @Test
    void bf16RoundsHalfToEvenAndKeepsNaN() {
        assertThat(FloatConversions.f32ToBf16(Float.intBitsToFloat(0x3F80_8000))).isEqualTo((short) 0x3F80); // tie, even stays
        assertThat(FloatConversions.f32ToBf16(Float.intBitsToFloat(0x3F81_8000))).isEqualTo((short) 0x3F82); // tie, odd rounds up
        assertThat(FloatConversions.f32ToBf16(Float.intBitsToFloat(0x3F80_8001))).isEqualTo((short) 0x3F81);
        assertThat(Float.isNaN(FloatConversions.bf16ToF32(FloatConversions.f32ToBf16(Float.intBitsToFloat(0x7F80_0001))))).isTrue();
    }

    @Test
    void failedWriteLeavesNoFileAndKeepsTheOldOne() throws Exception {
        Path p = dir.resolve("model.gguf");
        Files.writeString(p, "previous contents");
        GgufWriter w = new GgufWriter()
                .addTensor("ok", DType.F32, new long[]{2}, TensorBytes.ofFloats(new float[]{1, 2}, DType.F32))
                .addTensor("short", DType.F32, new long[]{4}, TensorBytes.ofFloats(new float[]{1, 2}, DType.F32));
        assertThatThrownBy(() -> w.write(p)).isInstanceOf(IOException.class)
                .hasMessageContaining("tensor 'short'").hasMessageContaining("should be 16 bytes but its source wrote 8");
        assertThat(Files.readString(p)).isEqualTo("previous contents");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(p);
        }
        GgufWriter failing = new GgufWriter().addTensor("boom", DType.F32, new long[]{1}, out -> {
            throw new IOException("source failed");
        });
        assertThatThrownBy(() -> failing.write(p)).hasMessage("source failed");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(p);
        }
        // a successful write replaces the old file, with ordinary (umask) permissions rather than a temp file's 0600
        new GgufWriter().putString("general.architecture", "llama").write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.architecture()).isEqualTo("llama");
        }
        assertThat(Files.getPosixFilePermissions(p)).contains(java.nio.file.attribute.PosixFilePermission.OWNER_READ)
                .hasSizeGreaterThan(2);
    }

    @Test
    void refusesValuesThatDoNotFitTheirType() {
        GgufWriter w = new GgufWriter();
        assertThatThrownBy(() -> w.put("k", GgufType.UINT8, 256L)).hasMessageContaining("does not fit UINT8");
        assertThatThrownBy(() -> w.put("k", GgufType.UINT32, -1L)).hasMessageContaining("does not fit UINT32");
        assertThatThrownBy(() -> w.put("k", GgufType.STRING, 5L)).hasMessageContaining("does not match");
        assertThatThrownBy(() -> w.put("k", GgufType.arrayOf(GgufValueType.INT8), List.of(1L, 1000L))).hasMessageContaining("INT8");
        assertThatThrownBy(() -> w.addTensor("q", DType.Q8_0, new long[]{2, 16}, TensorBytes.of(MemorySegment.NULL)))
                .hasMessageContaining("multiple of Q8_0's block of 32");
        assertThatThrownBy(() -> w.addTensor("x".repeat(64), DType.F32, new long[]{1}, TensorBytes.of(MemorySegment.NULL)))
                .hasMessageContaining("at most 63");
        w.addTensor("dup", DType.F32, new long[]{1}, TensorBytes.ofFloats(new float[1], DType.F32));
        assertThatThrownBy(() -> w.addTensor("dup", DType.F32, new long[]{1}, TensorBytes.ofFloats(new float[1], DType.F32)))
                .hasMessageContaining("added twice");
    }
}
