package dev.slmops.train.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Round trip, damage detection, and kill -9 of a real writer process at random instants. */
class CheckpointStoreTest {

    static Checkpoint sample(int n, long step, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n], m = new float[n], s = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
            m[i] = (float) r.nextGaussian();
            s[i] = r.nextFloat();
        }
        TrainerState st = new TrainerState(step, 2, 3, 42, 1000 * step, 1.25, 4, 1, new long[]{-5, 7}, "40:abc", "batch-size=4");
        return new Checkpoint(st, new String[]{"W", "b"}, v, m, s);
    }

    @Test
    void roundTripKeepsEveryBitAndTheState(@TempDir Path tmp) throws IOException {
        Checkpoint c = sample((1 << 18) + 3, 12, 1); // crosses a write chunk
        Path dir = CheckpointStore.directoryFor(tmp, 12);
        CheckpointStore.save(dir, c);
        Checkpoint back = CheckpointStore.load(dir);
        assertThat(back.values()).isEqualTo(c.values());
        assertThat(back.firstMoment()).isEqualTo(c.firstMoment());
        assertThat(back.secondMoment()).isEqualTo(c.secondMoment());
        assertThat(back.state()).usingRecursiveComparison().isEqualTo(c.state());
        assertThat(back.entryNames()).containsExactly("W", "b");
        assertThat(Files.list(tmp).map(p -> p.getFileName().toString()).toList()).containsExactly("checkpoint-12");
    }

    @Test
    void aKillBetweenTheTwoRenamesOfAReplacementLosesNothing(@TempDir Path tmp) throws IOException {
        Path best = tmp.resolve("best-model");
        CheckpointStore.save(best, sample(10, 3, 3));
        CheckpointStore.save(best, sample(10, 4, 4)); // a replacement: the old version is moved aside, then dropped
        assertThat(CheckpointStore.load(best).state().globalStep()).isEqualTo(4);
        // the state a kill leaves between "target -> .old-target" and "tmp -> target":
        Files.move(best, tmp.resolve(AtomicFiles.OLD_PREFIX + "best-model"));
        Files.createDirectory(tmp.resolve(AtomicFiles.TEMP_PREFIX + "best-model-123"));
        AtomicFiles.removeLeftovers(tmp);
        assertThat(CheckpointStore.load(best).state().globalStep()).isEqualTo(4);
        assertThat(Files.list(tmp).map(p -> p.getFileName().toString()).toList()).containsExactly("best-model");
    }

    @Test
    void aFlippedByteIsCaughtWithAClearMessage(@TempDir Path tmp) throws IOException {
        Path dir = CheckpointStore.directoryFor(tmp, 1);
        CheckpointStore.save(dir, sample(100, 1, 2));
        try (FileChannel ch = FileChannel.open(dir.resolve(CheckpointStore.TENSORS_FILE), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{0x5a}), 17);
        }
        assertThatThrownBy(() -> CheckpointStore.load(dir)).hasMessageContaining("CRC-32 mismatch");
        assertThatThrownBy(() -> CheckpointStore.load(tmp)).hasMessageContaining("not a checkpoint");
    }

    @Test
    void killMinus9MidWriteLeavesTheLastCompleteCheckpoint(@TempDir Path tmp) throws Exception {
        Random r = new Random(3);
        for (int round = 0; round < 4; round++) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), CheckpointWriterProcess.class.getName(), tmp.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long before = CheckpointStore.latest(tmp).map(CheckpointStore::stepOf).orElse(0L);
            long deadline = System.nanoTime() + 60_000_000_000L; // wait for one new checkpoint: the writer is mid-loop
            while (p.isAlive() && System.nanoTime() < deadline
                    && CheckpointStore.latest(tmp).map(CheckpointStore::stepOf).orElse(0L) == before) Thread.sleep(5);
            assertThat(p.isAlive()).as("writer process died on its own").isTrue();
            Thread.sleep(r.nextInt(150)); // then kill it at a random point of a later write
            p.destroyForcibly(); // SIGKILL on Linux
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Checkpoint c = CheckpointStore.load(CheckpointStore.latest(tmp).orElseThrow()); // complete and CRC-clean
            long step = c.state().globalStep();
            assertThat(c.values()).isEqualTo(sample(CheckpointWriterProcess.SIZE, step, step).values());
            // every listed checkpoint loads
            for (Path d : CheckpointStore.list(tmp)) CheckpointStore.load(d);
        }
        AtomicFiles.removeLeftovers(tmp);
        assertThat(Files.list(tmp).noneMatch(f -> f.getFileName().toString().startsWith(AtomicFiles.TEMP_PREFIX))).isTrue();
    }
}
