package dev.slmops.train.checkpoint;

import java.nio.file.Path;

/** Run as a child process by CheckpointStoreTest: writes 8 MiB checkpoints in a loop until it is killed. */
public final class CheckpointWriterProcess {
    static final int SIZE = 700_000;

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        long start = CheckpointStore.latest(root).map(CheckpointStore::stepOf).orElse(0L);
        for (long step = start + 1; ; step++) {
            CheckpointStore.save(CheckpointStore.directoryFor(root, step), CheckpointStoreTest.sample(SIZE, step, step));
            CheckpointStore.prune(root, 3);
        }
    }
}
