package dev.slmops.model.format;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The file operations behind "never a half-written output": write beside the target and rename into place, and
 * remove staged or replaced directory trees.
 */
public final class SafeFiles {
    private SafeFiles() {
    }

    /** Writes {@code bytes} to a hidden sibling of {@code target}, then renames it over the target; on failure nothing is left. */
    public static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + ProcessHandle.current().pid() + "-"
                + Long.toHexString(System.nanoTime()) + ".partial");
        boolean done = false;
        try {
            Files.write(tmp, bytes);
            moveIntoPlace(tmp, abs);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /** Renames {@code from} over {@code to}: atomically where the file system can (same directory: it always should). */
    public static void moveIntoPlace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Prefix of a directory being filled; the same as train's AtomicFiles, whose removeLeftovers clears it. */
    public static final String TEMP_PREFIX = ".tmp-";
    /** Prefix of a directory being replaced, between the two renames of {@link #publishDirectory}. */
    public static final String OLD_PREFIX = ".old-";

    /** A fresh, empty, hidden directory beside {@code target}, to fill and then {@link #publishDirectory publish}. */
    public static Path tempDirectoryFor(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        return Files.createDirectory(parent.resolve(TEMP_PREFIX + target.getFileName() + "-"
                + ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime())));
    }

    /**
     * Publishes the filled directory {@code tmp} as {@code target} with renames only: its files are forced to disk
     * first; an existing target is renamed aside to {@value #OLD_PREFIX}name and deleted after the new one is in
     * place. At every instant one complete version exists (a kill between the two renames leaves the old one under
     * the {@value #OLD_PREFIX} name, which train's AtomicFiles.removeLeftovers renames back).
     */
    public static void publishDirectory(Path tmp, Path target) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(tmp)) {
            for (Path f : (Iterable<Path>) files::iterator) if (Files.isRegularFile(f)) force(f);
        }
        force(tmp);
        Path abs = target.toAbsolutePath();
        Path old = null;
        if (Files.exists(abs)) {
            old = abs.resolveSibling(OLD_PREFIX + abs.getFileName());
            deleteTree(old);
            Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            if (old != null && !Files.exists(abs)) Files.move(old, abs, StandardCopyOption.ATOMIC_MOVE);
            throw e;
        }
        force(abs.getParent());
        if (old != null) deleteTree(old);
    }

    /** fsync of a file or directory (a no-op where the file system will not open a directory for it). */
    private static void force(Path p) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems refuse to open directories; the renames are atomic all the same
        }
    }

    /** Whether {@code dir} is missing or an empty directory (a place a new output may go without replacing anything). */
    public static boolean isAbsentOrEmpty(Path dir) throws IOException {
        if (!Files.exists(dir)) return true;
        if (!Files.isDirectory(dir)) return false;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** Deletes a directory and everything below it (or a single file); a missing path is not an error. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
