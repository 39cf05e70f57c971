package dev.slmops.tensor.matmul;

import java.lang.foreign.MemorySegment;

/**
 * Drops a file mapping's pages from the resident set behind a repacking that reads it front to back, every
 * {@link #STEP} bytes: a matrix is then never resident twice (file pages and the packed copy) while it is packed.
 * Before, packing qwen2.5-0.5b's 272 MiB F16 embedding table as the tied output held all its pages until the end:
 * the process peaked 270 MiB above what it kept. The pages stay readable (they fault back in). Nothing happens
 * for a source that is not a mapping (a heap segment, in tests).
 */
final class ReadBehind {
    static final long STEP = 8L << 20;

    private final MemorySegment src;
    private final boolean mapped;
    private long released; // src[start .. released) dropped

    /** The packing reads src from {@code start} on. */
    ReadBehind(MemorySegment src, long start) {
        this.src = src;
        this.mapped = src.isMapped();
        this.released = start;
    }

    /** Everything before {@code end} has been read. */
    void readUpTo(long end) {
        if (mapped && end - released >= STEP) release(end);
    }

    /** The packing is done: drops the rest up to {@code end}. */
    void finish(long end) {
        if (mapped && end > released) release(end);
    }

    private void release(long end) {
        src.asSlice(released, end - released).unload();
        released = end;
    }
}
