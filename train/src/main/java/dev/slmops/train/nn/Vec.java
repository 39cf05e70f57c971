package dev.slmops.train.nn;

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
}
