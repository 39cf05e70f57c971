package dev.slmops.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory as Linux reports it in {@code /proc/self/status}: {@code VmRSS} (resident
 * now) and {@code VmHWM} (the high-water mark, the peak resident set). Both count every resident page of the
 * process: the JVM's heap, metaspace and code cache, native allocations, and the pages of memory-mapped files
 * that have been touched (a mapped GGUF counts as far as it has been read).
 *
 * <p>{@link #resetPeak()} writes {@code 5} to {@code /proc/self/clear_refs} (Linux 4.0+), which sets
 * {@code VmHWM} back to the current {@code VmRSS}: a benchmark can then read the peak of one phase alone.
 */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ProcessMemory() {
    }

    /** {@code VmRSS}: bytes resident now. */
    public static long rssBytes() {
        return statusKiB("VmRSS") * 1024;
    }

    /** {@code VmHWM}: the most bytes resident at once since the process started or {@link #resetPeak()}. */
    public static long peakRssBytes() {
        return statusKiB("VmHWM") * 1024;
    }

    /**
     * Resets {@code VmHWM} to the current {@code VmRSS}. Returns false (and changes nothing) where the kernel
     * does not allow it (not Linux, or {@code /proc} mounted read-only): the peak then stays the process's.
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** A {@code Name:   123 kB} line of /proc/self/status, in KiB. */
    static long statusKiB(String name) {
        String status;
        try {
            status = Files.readString(STATUS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + STATUS + " (resident memory is measured on Linux only)", e);
        }
        return parseKiB(status, name);
    }

    static long parseKiB(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                String[] parts = line.substring(name.length() + 1).trim().split("\\s+");
                if (parts.length == 2 && parts[1].equals("kB")) return Long.parseLong(parts[0]);
                throw new IllegalStateException("unexpected line in /proc/self/status: " + line);
            }
        }
        throw new IllegalStateException("/proc/self/status has no " + name + " line");
    }
}
