package dev.slmops.tensor.parallel;

/**
 * A float buffer per thread, grown on demand and kept: the kernels' packing tiles, gathered keys, attention weights.
 * Fresh arrays of that size per call would be garbage that a young collection can catch live and promote, where it
 * stays resident until a full collection. {@link #atLeast} hands out the calling thread's buffer, possibly longer
 * than asked: callers pass explicit lengths. A buffer is the thread's until its next {@code atLeast} on the same
 * instance, so one call must finish with it before asking again.
 */
public final class ThreadScratch {
    private final ThreadLocal<float[]> buffer = ThreadLocal.withInitial(() -> new float[0]);

    /** The calling thread's buffer, of at least {@code n} floats (contents unspecified). */
    public float[] atLeast(int n) {
        float[] b = buffer.get();
        if (b.length < n) {
            b = new float[n];
            buffer.set(b);
        }
        return b;
    }
}
