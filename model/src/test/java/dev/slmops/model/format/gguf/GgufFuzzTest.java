package dev.slmops.model.format.gguf;

import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.fuzz.FuzzLoop;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated GGUF files must be accepted or rejected with a ModelFileException: never another throwable, never
 * a hang. The reader is driven through {@link GgufFile#parse}, the entry point {@link GgufFile#open} uses.
 */
class GgufFuzzTest {

    @TempDir
    Path dir;

    private List<byte[]> seeds() throws Exception {
        return List.of(
                GgufSamples.bytesOf(GgufSamples.everyType(), dir, "types.gguf"),
                GgufSamples.bytesOf(GgufSamples.tinyLlama(DType.F16, 1, 8, 2, 1, 16, 1), dir, "llama.gguf"),
                RawGguf.header(3, 2, 1).kvU32("general.alignment", 16)
                        .tensor("a", new long[]{4}, 0, 0).tensor("b", new long[]{32, 1}, DType.Q4_0.ggmlType, 16)
                        .pad(16).zeros(48).toBytes());
    }

    private static void readFully(byte[] input) throws ModelFileException {
        GgufFile f = GgufFile.parse("fuzz-input", MemorySegment.ofArray(input));
        f.metadata().forEach((k, v) -> f.metadataType(k));
        for (StoredTensor t : f.tensors()) {
            long n = t.byteSize();
            if (n > 0) {
                t.data().get(ValueLayout.JAVA_BYTE, 0);
                t.data().get(ValueLayout.JAVA_BYTE, n - 1);
            }
            assertThat(n).isEqualTo(t.dtype().bytesFor(t.elementCount()));
        }
    }

    @Test
    void threeThousandMutantsAreAcceptedOrRejectedCleanly() throws Exception {
        FuzzLoop.Report r = FuzzLoop.run("gguf", seeds(), 3_000, 20261126L, Duration.ofSeconds(10),
                GgufFuzzTest::readFully, Set.of(ModelFileException.class));
        System.out.println("GGUF fuzz (default slice): " + r);
        assertThat(r.rejected()).isPositive();
    }

    @Test
    @Tag("slow")
    void hundredTwentyThousandMutantsAndTheConvertersFile() throws Exception {
        FuzzLoop.Report r = FuzzLoop.run("gguf-slow", seeds(), 120_000, 7L, Duration.ofSeconds(10),
                GgufFuzzTest::readFully, Set.of(ModelFileException.class));
        System.out.println("GGUF fuzz (slow): " + r);
        r.rejections().entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(30)
                .forEach(e -> System.out.println("  " + e.getValue() + "  " + e.getKey()));
        assertThat(r.inputs()).isGreaterThanOrEqualTo(120_000);
        // llama.cpp's converter output (1.7 MB, 32,000-token vocabulary): fewer mutants, each is bigger
        byte[] asset = java.nio.file.Files.readAllBytes(dev.slmops.testkit.ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"));
        FuzzLoop.Report big = FuzzLoop.run("gguf-slow-asset", List.of(asset), 3_000, 8L, Duration.ofSeconds(20),
                GgufFuzzTest::readFully, Set.of(ModelFileException.class));
        System.out.println("GGUF fuzz (slow, llama.cpp converter file): " + big);
    }
}
