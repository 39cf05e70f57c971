package dev.slmops.testkit.llama;

import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Bad and hostile GGUF files given to llama.cpp through our bindings come back as a {@link LlamaCpp.LlamaException}
 * quoting llama.cpp's reason, never as a crash of the JVM. (Each case here was run: a case that made llama.cpp
 * abort would take the test JVM down with it.)
 */
class LlamaCppHostileGgufTest {
    static byte[] header(int version, long nTensors, long nKv) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN)
                .put("GGUF".getBytes()).putInt(version).putLong(nTensors).putLong(nKv).array();
    }

    static void assertRefused(Path file, String reasonFragment) {
        assertThatThrownBy(() -> LlamaCpp.load(file).close())
                .isInstanceOf(LlamaCpp.LlamaException.class)
                .hasMessageContaining(file.getFileName().toString())
                .hasMessageContaining(reasonFragment);
    }

    @Test
    void emptyFile(@TempDir Path dir) throws Exception {
        Path f = Files.write(dir.resolve("empty.gguf"), new byte[0]);
        assertRefused(f, "failed to read magic");
    }

    @Test
    void wrongMagic(@TempDir Path dir) throws Exception {
        Path f = Files.write(dir.resolve("magic.gguf"), "GGML and then some bytes that are not a GGUF".getBytes());
        assertRefused(f, "invalid magic");
    }

    @Test
    void unsupportedVersion(@TempDir Path dir) throws Exception {
        Path f = Files.write(dir.resolve("v99.gguf"), header(99, 0, 0));
        assertRefused(f, "version");
    }

    @Test
    void absurdCounts(@TempDir Path dir) throws Exception {
        Path tensors = Files.write(dir.resolve("tensors.gguf"), header(3, 1L << 62, 0));
        assertRefused(tensors, "tensor");
        Path kvs = Files.write(dir.resolve("kvs.gguf"), header(3, 0, 1L << 62));
        assertRefused(kvs, "key value pairs");
    }

    @Test
    void hugeStringLength(@TempDir Path dir) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(header(3, 0, 1)).putLong(1L << 61); // key length 2^61
        Path f = Files.write(dir.resolve("string.gguf"), Arrays.copyOf(b.array(), b.position()));
        assertRefused(f, "key");
    }

    @Test
    void truncatedRealModel(@TempDir Path dir) throws Exception {
        byte[] real = Files.readAllBytes(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"));
        for (int len : new int[] {7, 24, 100, 5000, real.length / 2, real.length - 1}) {
            Path f = Files.write(dir.resolve("truncated-" + len + ".gguf"), Arrays.copyOf(real, len));
            Throwable t = catchThrowable(() -> LlamaCpp.load(f).close());
            assertThat(t).as("truncated to %d bytes", len).isInstanceOf(LlamaCpp.LlamaException.class);
        }
    }

    @Test
    void tensorDataBeyondTheEndOfTheFile(@TempDir Path dir) throws Exception {
        byte[] bytes = new TinyGguf().str("general.architecture", "llama")
                .tensor("token_embd.weight", new long[] {8, 4}, new float[32]).toBytes();
        Path f = Files.write(dir.resolve("short-data.gguf"), Arrays.copyOf(bytes, bytes.length - 64));
        assertRefused(f, "");
    }

    @Test
    void metadataWithoutTheModel(@TempDir Path dir) throws Exception {
        Path unknownArch = dir.resolve("arch.gguf");
        new TinyGguf().str("general.architecture", "no-such-arch").write(unknownArch);
        assertRefused(unknownArch, "unknown model architecture");

        Path noHparams = dir.resolve("hparams.gguf");
        new TinyGguf().str("general.architecture", "llama").write(noHparams);
        assertRefused(noHparams, "key not found");
    }

    @Test
    void typeConfusedMetadata(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("confused.gguf");
        new TinyGguf().u32("general.architecture", 7).write(f); // a number where a string must be
        assertThatThrownBy(() -> LlamaCpp.load(f).close()).isInstanceOf(LlamaCpp.LlamaException.class);
    }

    @Test
    void quantizingAHostileFileFailsCleanly(@TempDir Path dir) throws Exception {
        Path in = Files.write(dir.resolve("bad-in.gguf"), header(3, 1L << 62, 0));
        Path out = dir.resolve("out.gguf");
        assertThatThrownBy(() -> LlamaCpp.quantize(in, out, LlamaCpp.FTYPE_MOSTLY_Q8_0, 1))
                .isInstanceOf(LlamaCpp.LlamaException.class).hasMessageContaining("bad-in.gguf");
        assertThat(out).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(in); // no half-written output, no temp file
        }
    }

    /**
     * What llama.cpp still does not survive: a vocabulary with a duplicated token text trips a GGML_ASSERT and
     * aborts the process. {@link LlamaLoadProbe} runs the load in a child JVM, so it is an answer, not a crash.
     */
    @Test
    void probeTellsLoadedRefusedAndCrashedApart(@TempDir Path dir) throws Exception {
        Path real = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        assertThat(LlamaLoadProbe.probe(real, 60).outcome()).isEqualTo(LlamaLoadProbe.Outcome.LOADED);

        Path bad = Files.write(dir.resolve("v99.gguf"), header(99, 0, 0));
        LlamaLoadProbe.Result refused = LlamaLoadProbe.probe(bad, 60);
        assertThat(refused.outcome()).isEqualTo(LlamaLoadProbe.Outcome.REFUSED);
        assertThat(refused.message()).contains("version 99");

        byte[] bytes = Files.readAllBytes(real);
        int at = indexOf(bytes, "<0x01>".getBytes());
        assertThat(at).isPositive();
        bytes[at + 4] = '0'; // token 4 "<0x01>" becomes a second "<0x00>"
        Path duplicated = Files.write(dir.resolve("duplicate-token.gguf"), bytes);
        LlamaLoadProbe.Result crashed = LlamaLoadProbe.probe(duplicated, 60);
        System.out.println("duplicated token text: " + crashed);
        assertThat(crashed.outcome()).isEqualTo(LlamaLoadProbe.Outcome.CRASHED);
        assertThat(crashed.message()).contains("GGML_ASSERT");
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    /**
     * Seeded bit flips in the first 4 KiB (header and vocabulary) of the real model, each loaded by llama.cpp in
     * a child JVM. Reports how many llama.cpp loads, refuses, or crashes on; fails only on a hang.
     */
    @Test
    @Tag("slow")
    void mutatedHeadersAreLoadedRefusedOrCrashOnlyInAChild(@TempDir Path dir) throws Exception {
        byte[] real = Files.readAllBytes(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"));
        Random rnd = new Random(7);
        java.util.Map<LlamaLoadProbe.Outcome, Integer> counts = new java.util.EnumMap<>(LlamaLoadProbe.Outcome.class);
        for (int i = 0; i < 100; i++) {
            byte[] m = real.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) m[rnd.nextInt(4096)] ^= (byte) (1 << rnd.nextInt(8));
            Path f = Files.write(dir.resolve("m" + i + ".gguf"), m);
            LlamaLoadProbe.Result r = LlamaLoadProbe.probe(f, 60);
            counts.merge(r.outcome(), 1, Integer::sum);
            if (r.outcome() == LlamaLoadProbe.Outcome.CRASHED) {
                String assertLine = r.message().lines().filter(l -> l.contains("GGML_ASSERT") || l.contains("error"))
                        .findFirst().orElse("exit " + r.exitCode());
                System.out.println("mutation " + i + " crashed llama.cpp: " + assertLine);
            }
            Files.delete(f);
        }
        System.out.println("mutated headers, llama.cpp outcomes: " + counts);
        assertThat(counts).doesNotContainKey(LlamaLoadProbe.Outcome.TIMED_OUT);
    }
}
