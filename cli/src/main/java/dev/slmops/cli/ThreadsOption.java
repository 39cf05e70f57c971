package dev.slmops.cli;

import picocli.CommandLine.Option;

/** The long-only --threads flag of quantize and imatrix (their -t means --type elsewhere, so no short name). */
final class ThreadsOption {
    @Option(names = "--threads", description = "Threads (default: all cores).")
    Integer threads;

    /** The thread count to use: the flag, or every available processor. */
    int count() {
        if (threads == null) return Runtime.getRuntime().availableProcessors();
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        return threads;
    }
}
