package dev.slmops.train.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Crash-safe file and directory publication: everything is written under a temporary name in the same directory,
 * forced to disk (fsync), then renamed into place in one atomic step and the parent directory forced, so a process
 * killed at any instant leaves either the old complete version or the new complete version, never a partial one.
 */
public final class AtomicFiles {
    /** Prefix of the temporary names; leftovers of a killed run carry it and are removed by {@link #removeLeftovers}. */
    public static final String TEMP_PREFIX = ".tmp-";

    private AtomicFiles() {
    }

    /** Writes {@code bytes} to {@code target} atomically. */
    public static void write(Path target, byte[] bytes) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + System.nanoTime());
        try {
            writeAndForce(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes and fsyncs one file (inside a temporary directory that is published later). */
    static void writeAndForce(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
    }

    /** A fresh temporary directory beside {@code target}, to fill and then {@link #publishDirectory publish}. */
    static Path tempDirectoryFor(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        return Files.createDirectory(dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + System.nanoTime()));
    }

    /**
     * Renames the filled temporary directory to {@code target}. An existing target is first renamed aside and
     * deleted after, so at every instant one complete version exists under a name readers look at or beside it.
     */
    static void publishDirectory(Path tmp, Path target) throws IOException {
        forceDirectory(tmp);
        Path parent = target.toAbsolutePath().getParent();
        Path old = null;
        if (Files.exists(target)) {
            old = parent.resolve(TEMP_PREFIX + "old-" + target.getFileName() + "-" + System.nanoTime());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(parent);
        if (old != null) deleteTree(old);
    }

    /** fsync of a directory, so the renames inside it survive a power cut (a no-op where the OS refuses it). */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems do not open directories for reading; the rename is still atomic there.
        }
    }

    /** Removes what a killed writer left in {@code dir} (entries named {@value #TEMP_PREFIX}...). */
    public static void removeLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).toList()) deleteTree(p);
        }
    }

    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
