package dev.slmops.model.layers;

/**
 * A weight vector (a norm's scale, a bias): n floats at {@code off} of {@code values}, and its gradient at the same
 * offset of {@code grads}, or {@code grads == null} when the vector is frozen.
 */
public record Vec(float[] values, float[] grads, int off, int n) {
    /** A frozen vector holding a copy of v. */
    public static Vec frozen(float[] v) {
        return new Vec(v.clone(), null, 0, v.length);
    }

    public boolean trainable() {
        return grads != null;
    }

    /** The values as a fresh array [n] (ops that take a weight array from offset 0 read this). */
    public float[] copy() {
        float[] f = new float[n];
        System.arraycopy(values, off, f, 0, n);
        return f;
    }

    /**
     * The values as an array [n] from offset 0: the backing array itself when it is exactly that (frozen vectors:
     * no copy per call on the decode path), else a {@link #copy()} (a view into a flat parameter buffer).
     */
    public float[] dense() {
        return off == 0 && values.length == n ? values : copy();
    }
}
