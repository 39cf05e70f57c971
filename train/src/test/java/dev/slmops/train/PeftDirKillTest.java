package dev.slmops.train;

import dev.slmops.model.format.peft.PeftAdapterFiles;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraWeights;
import dev.slmops.tensor.DType;
import dev.slmops.train.checkpoint.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 while a PEFT adapter directory is being replaced loses nothing: a child JVM rewrites the directory over
 * and over (each version's values all equal its number), the test kills it at several moments, and after
 * AtomicFiles.removeLeftovers (what slmops finetune runs first) the directory reads back as one complete version.
 */
class PeftDirKillTest {
    /** The writer: version after version of one adapter into args[0], replacing the previous one. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        for (int version = 1; ; version++) {
            PeftAdapterFiles.write(adapter(version), dir, DType.F32, "v" + version, true);
            Files.writeString(dir.resolveSibling("progress"), Integer.toString(version));
        }
    }

    /** Two modules of 256x256 at rank 16 (about 0.5 MB), every value = version. */
    static LoraAdapter adapter(int version) {
        int r = 16, n = 256, per = 2 * r * n;
        float[] buf = new float[2 * per];
        java.util.Arrays.fill(buf, version);
        Map<String, LoraWeights> m = new LinkedHashMap<>();
        m.put("model.layers.0.self_attn.q_proj", new LoraWeights(r, n, n, 2f, buf, 0, buf, r * n));
        m.put("model.layers.0.self_attn.v_proj", new LoraWeights(r, n, n, 2f, buf, per, buf, per + r * n));
        return new LoraAdapter("kill", r, 32, false, List.of("q_proj", "v_proj"), m, Map.of());
    }

    /** The last version the writer finished (0 before the first, or while the file is being rewritten). */
    static int progress(Path file) {
        try {
            return Integer.parseInt(Files.readString(file).trim());
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
    }

    @Test
    void aKilledWriterLeavesOneCompleteAdapter(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("adapter");
        for (int round = 0; round < 3; round++) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                    PeftDirKillTest.class.getName(), dir.toString()).redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("log-" + round + ".txt").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Path progress = tmp.resolve("progress");
            int start = progress(progress), target = start + 3 + round * 5;
            while (p.isAlive() && System.nanoTime() < deadline && progress(progress) < target) Thread.sleep(5);
            Thread.sleep(7L * round); // land the kill at different points of a write
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(tmp.resolve("log-" + round + ".txt"))).doesNotContain("Exception");

            AtomicFiles.removeLeftovers(tmp);
            LoraAdapter back = PeftAdapterFiles.read(dir);
            float first = back.values()[0];
            assertThat(first).isGreaterThanOrEqualTo(1f);
            for (float v : back.values()) assertThat(v).isEqualTo(first); // one version, whole
            assertThat(Files.readString(dir.resolve(PeftAdapterFiles.CONFIG))).contains("\"v" + (int) first + "\"");
            try (var s = Files.list(tmp)) {
                assertThat(s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("."))).isEmpty();
            }
            System.out.printf("round %d: killed after version >= %d; the directory holds version %d whole%n",
                    round, target, (int) first);
        }
    }
}
