package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;

import java.util.Locale;

/**
 * The keys and values one sequence has produced so far, per layer, stored as F32 (the default) or F16.
 *
 * <pre>
 *   keys/values of a layer: [capacity, Hkv * Dh]   (position-major: a new token's row is one copy; the attention
 *                                                  kernel of the tensor layer reads this layout)
 * </pre>
 * Positions are 0..length-1; a forward step writes the rows of its new tokens, then advances length.
 *
 * <p>F16 halves the cache's memory (llama.cpp's default cache type; values are rounded to nearest-even halves as
 * its F32 -> F16 copy does; a value beyond the half range becomes infinite, as there). Attention still reads F32
 * rows: each step widens the positions it attends to into one layer-sized F32 buffer per cache (so the cache costs
 * half, plus one layer at F32), a conversion the JIT turns into vector half-to-float instructions.
 */
public final class KvCache {
    /** Element type of the stored keys and values. */
    public enum Type {
        F32, F16;

        /** "f32" or "f16" (any case), as the CLI's --kv-type takes it. */
        public static Type parse(String name) {
            for (Type t : values()) if (t.name().equalsIgnoreCase(name)) return t;
            throw new IllegalArgumentException("unknown KV cache type '" + name + "'; supported: f32, f16");
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    final int numLayers;
    final int kvHeads;
    final int headDim;
    final int capacity;
    private final Type type;
    /** F32: [layer][capacity * Hkv * Dh], else null. */
    private final float[][] k;
    private final float[][] v;
    /** F16 bits: [layer][capacity * Hkv * Dh], else null. */
    private final short[][] k16;
    private final short[][] v16;
    /** F16 only: one layer's keys and values widened for attention, [capacity * Hkv * Dh] each. */
    private final float[] kWide;
    private final float[] vWide;
    private int length;

    /** An F32 cache. */
    public KvCache(ModelConfig config, int capacity) {
        this(config, capacity, Type.F32);
    }

    public KvCache(ModelConfig config, int capacity, Type type) {
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
        this.type = java.util.Objects.requireNonNull(type, "type");
        if (type == Type.F32) {
            this.k = new float[numLayers][(int) perLayer];
            this.v = new float[numLayers][(int) perLayer];
            this.k16 = null;
            this.v16 = null;
            this.kWide = null;
            this.vWide = null;
        } else {
            this.k = null;
            this.v = null;
            this.k16 = new short[numLayers][(int) perLayer];
            this.v16 = new short[numLayers][(int) perLayer];
            this.kWide = new float[(int) perLayer];
            this.vWide = new float[(int) perLayer];
        }
    }

    /** Tokens stored so far: the position the next token will take. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public Type type() {
        return type;
    }

    /** Forgets positions from {@code newLength} on (to rewind, or {@code 0} to reuse for another sequence). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a KV cache of length " + length + " to " + newLength);
        }
        length = newLength;
    }

    /**
     * Makes this cache hold a copy of {@code src}'s positions [0, src.length()) (a prompt prefilled once, shared by
     * several sequences that then diverge). Both caches must be of the same model shape and storage type.
     */
    public void copyFrom(KvCache src) {
        if (src.numLayers != numLayers || src.kvHeads != kvHeads || src.headDim != headDim || src.type != type) {
            throw new IllegalArgumentException("cannot copy a KV cache of " + src.numLayers + " layers x " + src.kvHeads
                    + " x " + src.headDim + " " + src.type + " into one of " + numLayers + " x " + kvHeads + " x "
                    + headDim + " " + type);
        }
        if (src.length > capacity) {
            throw new IllegalArgumentException("cannot copy " + src.length + " positions into a KV cache of capacity "
                    + capacity);
        }
        int n = src.length * kvHeads * headDim; // rows are position-major: [pos, Hkv * Dh]
        for (int l = 0; l < numLayers; l++) {
            if (type == Type.F32) {
                System.arraycopy(src.k[l], 0, k[l], 0, n);
                System.arraycopy(src.v[l], 0, v[l], 0, n);
            } else {
                System.arraycopy(src.k16[l], 0, k16[l], 0, n);
                System.arraycopy(src.v16[l], 0, v16[l], 0, n);
            }
        }
        length = src.length;
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Stores key and value rows [Hkv * Dh] of one position of one layer. */
    void put(int layer, int pos, float[] keyRow, int keyOff, float[] valueRow, int valueOff) {
        int row = kvHeads * headDim;
        if (type == Type.F32) {
            System.arraycopy(keyRow, keyOff, k[layer], pos * row, row);
            System.arraycopy(valueRow, valueOff, v[layer], pos * row, row);
        } else {
            toHalf(keyRow, keyOff, k16[layer], pos * row, row);
            toHalf(valueRow, valueOff, v16[layer], pos * row, row);
        }
    }

    /**
     * Keys of positions [0, end) of a layer as F32 rows [end, Hkv * Dh] from index 0 (the array may be longer).
     * For F16 the array is this cache's widening buffer: valid until the next {@code keys} call.
     */
    float[] keys(int layer, int end) {
        if (type == Type.F32) return k[layer];
        toFloat(k16[layer], kWide, end * kvHeads * headDim);
        return kWide;
    }

    /** Values of positions [0, end) of a layer, as {@link #keys}. */
    float[] values(int layer, int end) {
        if (type == Type.F32) return v[layer];
        toFloat(v16[layer], vWide, end * kvHeads * headDim);
        return vWide;
    }

    private static void toHalf(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float.floatToFloat16(src[srcOff + i]);
    }

    private static void toFloat(short[] src, float[] dst, int n) {
        for (int i = 0; i < n; i++) dst[i] = Float.float16ToFloat(src[i]);
    }
}
