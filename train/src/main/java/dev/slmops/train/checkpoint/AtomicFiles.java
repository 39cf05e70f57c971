package dev.slmops.train.checkpoint;

import dev.slmops.model.format.SafeFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Crash-safe file and directory publication: everything is written under a temporary name in the same directory,
 * forced to disk (fsync), then renamed into place in one atomic step and the parent directory forced, so a process
 * killed at any instant leaves either the old complete version or the new complete version, never a partial one.
 */
public final class AtomicFiles {
    /** Prefix of the temporary names; leftovers of a killed run carry it and are removed by {@link #removeLeftovers}. */
    public static final String TEMP_PREFIX = ".tmp-";
    /** Prefix of a replaced directory while its successor is renamed in; {@link #removeLeftovers} restores or drops it. */
    public static final String OLD_PREFIX = ".old-";

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
     * Renames the filled temporary directory to {@code target}. An existing target is first renamed aside to
     * {@value #OLD_PREFIX}name and deleted after, so at every instant one complete version exists, under the target
     * name or (between the two renames) under the old name, which {@link #removeLeftovers} renames back.
     */
    static void publishDirectory(Path tmp, Path target) throws IOException {
        forceDirectory(tmp);
        Path parent = target.toAbsolutePath().getParent();
        Path old = null;
        if (Files.exists(target)) {
            old = parent.resolve(OLD_PREFIX + target.getFileName());
            deleteTree(old);
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

    /**
     * Cleans up after a killed writer in {@code dir}: partial {@value #TEMP_PREFIX}... entries are removed; a
     * {@value #OLD_PREFIX}name is renamed back to name when the kill came between the two renames of
     * {@link #publishDirectory}, and removed otherwise.
     */
    public static void removeLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        List<Path> entries;
        try (Stream<Path> s = Files.list(dir)) {
            entries = s.toList();
        }
        for (Path p : entries) {
            String name = p.getFileName().toString();
            if (name.startsWith(TEMP_PREFIX)) {
                deleteTree(p);
            } else if (name.startsWith(OLD_PREFIX)) {
                Path target = dir.resolve(name.substring(OLD_PREFIX.length()));
                if (Files.exists(target)) deleteTree(p);
                else Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
            }
        }
    }

    /**
     * Removes a published file or directory so that a kill at any instant leaves it either whole under its name or
     * gone: it is first renamed to a {@value #TEMP_PREFIX} name (which {@link #removeLeftovers} clears), then deleted.
     * Deleting a checkpoint in place could leave its trainer_state.json without its tensors.bin, still listed as a
     * checkpoint. A missing path is a no-op.
     */
    public static void remove(Path target) throws IOException {
        if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Path parent = target.toAbsolutePath().getParent();
        Path doomed = parent.resolve(TEMP_PREFIX + target.getFileName() + "-" + System.nanoTime());
        Files.move(target, doomed, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(parent);
        deleteTree(doomed);
    }

    /** Deletes a directory tree (see {@link SafeFiles#deleteTree}). */
    public static void deleteTree(Path root) throws IOException {
        SafeFiles.deleteTree(root);
    }
}
