package dev.slmops.tensor.parallel;

/**
 * A float buffer per thread, grown on demand and kept: the kernels' packing tiles, gathered keys, attention weights.
 * Fresh arrays of that size per call would be garbage that a young collection can catch live and promote, where it
 * stays resident until a full collection. {@link #atLeast} hands out the calling thread's buffer, possibly longer
 * than asked: callers pass explicit lengths. A buffer is the thread's until its next {@code atLeast} on the same
 * instance, so one call must finish with it before asking again.
 *
 * <p>A buffer grows to a multiple of {@link #STEP} floats: decode asks for one key (or one key's head) more every
 * token, and growing to the exact length replaced the attention buffers at every step on every thread (measured,
 * smollm2-135m decode: ~2.5% of the bytes it allocated); in steps they are replaced every 64 tokens or fewer, and a
 * buffer wastes under 16 KiB.
 */
public final class ThreadScratch {
    /** Buffers are a multiple of this many floats (16 KiB). */
    static final int STEP = 4096;

    private final ThreadLocal<float[]> buffer = ThreadLocal.withInitial(() -> new float[0]);

    /** The calling thread's buffer, of at least {@code n} floats (contents unspecified). */
    public float[] atLeast(int n) {
        float[] b = buffer.get();
        if (b.length < n) {
            b = new float[roundedUp(n)];
            buffer.set(b);
        }
        return b;
    }

    /** n rounded up to a multiple of {@link #STEP}, or n itself where that would pass the largest array. */
    static int roundedUp(int n) {
        long up = ((long) n + STEP - 1) / STEP * STEP;
        return up <= Integer.MAX_VALUE - 8 ? (int) up : n;
    }
}
