package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;

/**
 * The keys and values one sequence has produced so far, per layer, F32.
 *
 * <pre>
 *   k[layer], v[layer]: [capacity, Hkv * Dh]   (position-major: a new token's row is one copy; the attention
 *                                              kernel of the tensor layer reads this layout)
 * </pre>
 * Positions are 0..length-1; a forward step writes the rows of its new tokens, then advances length.
 */
public final class KvCache {
    final int numLayers;
    final int kvHeads;
    final int headDim;
    final int capacity;
    final float[][] k;
    final float[][] v;
    private int length;

    public KvCache(ModelConfig config, int capacity) {
        if (capacity <= 0) throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
        if (capacity > config.contextLength()) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " exceeds the model's context length "
                    + config.contextLength());
        }
        long perLayer = (long) config.numKvHeads() * capacity * config.headDim();
        if (perLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + capacity + " positions is too large for one layer");
        }
        this.numLayers = config.numLayers();
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.capacity = capacity;
        this.k = new float[numLayers][(int) perLayer];
        this.v = new float[numLayers][(int) perLayer];
    }

    /** Tokens stored so far: the position the next token will take. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Forgets positions from {@code newLength} on (to rewind, or {@code 0} to reuse for another sequence). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a KV cache of length " + length + " to " + newLength);
        }
        length = newLength;
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Stores key and value rows [Hkv * Dh] of one position of one layer. */
    void put(int layer, int pos, float[] keyRow, int keyOff, float[] valueRow, int valueOff) {
        int row = kvHeads * headDim;
        System.arraycopy(keyRow, keyOff, k[layer], pos * row, row);
        System.arraycopy(valueRow, valueOff, v[layer], pos * row, row);
    }
}
