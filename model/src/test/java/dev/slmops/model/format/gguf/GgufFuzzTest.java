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
    void hundredThousandMutantsPerSeed() throws Exception {
        for (int i = 0; i < seeds().size(); i++) {
            FuzzLoop.Report r = FuzzLoop.run("gguf-slow-" + i, List.of(seeds().get(i)), 100_000, 7L + i,
                    Duration.ofSeconds(10), GgufFuzzTest::readFully, Set.of(ModelFileException.class));
            System.out.println("GGUF fuzz (slow, seed " + i + "): " + r);
            r.rejections().entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(25)
                    .forEach(e -> System.out.println("  " + e.getValue() + "  " + e.getKey()));
        }
    }
}
