package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The keys and values one sequence has produced so far, per layer, stored as F32 (the default) or F16, in pages of
 * {@link KvPages#pageSize()} positions taken from a {@link KvPages} pool as the sequence grows and given back when
 * it is truncated: a cache that may reach 4096 positions but holds 150 costs one 256-position page, not the context.
 *
 * <pre>
 *   page p of a layer: keys/values [pageSize, Hkv * Dh]   position pos lives in page pos / pageSize, row pos % pageSize
 *                                                       (position-major: a new token's row is one copy)
 * </pre>
 * Positions are 0..length-1; a forward step writes the rows of its new tokens, then advances length.
 * {@link #capacity()} is the most positions the cache may hold (a limit, not memory); {@link #allocatedPositions()}
 * is what its pages hold now.
 *
 * <p>F16 halves the cache's memory (llama.cpp's default cache type; values are rounded to nearest-even halves as
 * its F32 -> F16 copy does; a value beyond the half range becomes infinite, as there). Attention still reads F32
 * rows: a prefill widens the positions it attends to into one layer-sized F32 buffer per cache (grown with the
 * sequence), a conversion the JIT turns into vector half-to-float instructions; a decode step hands attention the
 * F16 pages ({@link #halfKeyPages}), whose tasks widen one KV head each.
 *
 * <p>Not thread-safe (one sequence, one decode thread); the pool it draws from is.
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

    /** Rows [0, end) of one layer's keys or values as pages of {@code pageRows} rows each (F32). */
    record View(float[][] pages, int pageRows) {
    }

    final int numLayers;
    final int kvHeads;
    final int headDim;
    final int capacity;
    private final Type type;
    private final KvPages pool;
    private final int pageSize;
    private final List<KvPages.Page> pages = new ArrayList<>();
    /** F32: per layer, the pages' key/value arrays in order (rebuilt when pages change), else null. */
    private float[][][] kByLayer, vByLayer;
    /** F16: per layer, the pages' key/value F16 arrays in order (rebuilt when pages change), else null. */
    private short[][][] k16ByLayer, v16ByLayer;
    /** F16 only: one layer's keys and values widened for attention, [allocated * Hkv * Dh] each. */
    private float[] kWide, vWide;
    private int length;

    /** An F32 cache with its own pages. */
    public KvCache(ModelConfig config, int capacity) {
        this(config, capacity, Type.F32);
    }

    /** A cache with its own pages (allocated as it grows, dropped when truncated). */
    public KvCache(ModelConfig config, int capacity, Type type) {
        this(config, capacity, KvPages.unshared(config, java.util.Objects.requireNonNull(type, "type"),
                Math.max(1, capacity)));
    }

    /** A cache of at most {@code capacity} positions drawing pages from {@code pool} (its type is the pool's). */
    public KvCache(ModelConfig config, int capacity, KvPages pool) {
        if (capacity <= 0) throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
        if (capacity > config.contextLength()) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " exceeds the model's context length "
                    + config.contextLength());
        }
        if (!pool.fits(config)) {
            throw new IllegalArgumentException("the KV page pool is for " + pool.numLayers + " layers x " + pool.kvHeads
                    + " x " + pool.headDim + ", not this model's " + config.numLayers() + " x " + config.numKvHeads()
                    + " x " + config.headDim());
        }
        if ((long) config.numKvHeads() * capacity * config.headDim() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + capacity + " positions is too large for one layer");
        }
        this.numLayers = config.numLayers();
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.capacity = capacity;
        this.pool = pool;
        this.type = pool.type;
        this.pageSize = pool.pageSize;
    }

    /** Tokens stored so far: the position the next token will take. */
    public int length() {
        return length;
    }

    /** The most positions this cache may hold. */
    public int capacity() {
        return capacity;
    }

    /** Positions its pages can hold now (a multiple of the page size; 0 before the first token). */
    public int allocatedPositions() {
        return pages.size() * pageSize;
    }

    public Type type() {
        return type;
    }

    /**
     * Forgets positions from {@code newLength} on (to rewind, or {@code 0} when the sequence ends), and gives the
     * pages no longer needed back to the pool.
     */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a KV cache of length " + length + " to " + newLength);
        }
        length = newLength;
        int keep = (newLength + pageSize - 1) / pageSize;
        if (keep < pages.size()) {
            while (pages.size() > keep) pool.give(pages.removeLast());
            pagesChanged();
        }
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
        length = Math.min(length, src.length);
        reserve(src.length);
        int row = kvHeads * headDim;
        for (int pos = 0; pos < src.length; ) { // rows are position-major: copy runs that sit in one page of both
            int n = Math.min(Math.min(src.length - pos, pageSize - pos % pageSize), src.pageSize - pos % src.pageSize);
            KvPages.Page from = src.pages.get(pos / src.pageSize), to = pages.get(pos / pageSize);
            int fo = (pos % src.pageSize) * row, tOff = (pos % pageSize) * row;
            for (int l = 0; l < numLayers; l++) {
                if (type == Type.F32) {
                    System.arraycopy(from.k[l], fo, to.k[l], tOff, n * row);
                    System.arraycopy(from.v[l], fo, to.v[l], tOff, n * row);
                } else {
                    System.arraycopy(from.k16[l], fo, to.k16[l], tOff, n * row);
                    System.arraycopy(from.v16[l], fo, to.v16[l], tOff, n * row);
                }
            }
            pos += n;
        }
        length = src.length;
        truncate(length); // pages beyond the copy go back
    }

    /** Makes sure pages cover positions [0, positions). */
    void reserve(int positions) {
        if (positions > capacity) {
            throw new IllegalArgumentException("position " + (positions - 1) + " is beyond this KV cache's capacity of "
                    + capacity + " positions");
        }
        if (positions <= pages.size() * pageSize) return;
        while (pages.size() * pageSize < positions) pages.add(pool.take());
        pagesChanged();
    }

    private void pagesChanged() {
        if (type == Type.F32) {
            kByLayer = new float[numLayers][pages.size()][];
            vByLayer = new float[numLayers][pages.size()][];
            for (int l = 0; l < numLayers; l++) {
                for (int p = 0; p < pages.size(); p++) {
                    kByLayer[l][p] = pages.get(p).k[l];
                    vByLayer[l][p] = pages.get(p).v[l];
                }
            }
        } else {
            k16ByLayer = new short[numLayers][pages.size()][];
            v16ByLayer = new short[numLayers][pages.size()][];
            for (int l = 0; l < numLayers; l++) {
                for (int p = 0; p < pages.size(); p++) {
                    k16ByLayer[l][p] = pages.get(p).k16[l];
                    v16ByLayer[l][p] = pages.get(p).v16[l];
                }
            }
        }
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Stores key and value rows [Hkv * Dh] of one position of one layer (taking a page when pos needs one). */
    void put(int layer, int pos, float[] keyRow, int keyOff, float[] valueRow, int valueOff) {
        if (pos >= pages.size() * pageSize) reserve(pos + 1);
        int row = kvHeads * headDim;
        KvPages.Page page = pages.get(pos / pageSize);
        int at = (pos % pageSize) * row;
        if (type == Type.F32) {
            System.arraycopy(keyRow, keyOff, page.k[layer], at, row);
            System.arraycopy(valueRow, valueOff, page.v[layer], at, row);
        } else {
            toHalf(keyRow, keyOff, page.k16[layer], at, row);
            toHalf(valueRow, valueOff, page.v16[layer], at, row);
        }
    }

    /**
     * Keys of positions [0, end) of a layer as F32 pages. For F16 they are widened into this cache's buffer, one
     * page of all positions: valid until the next {@code keys} call.
     */
    View keys(int layer, int end) {
        if (type == Type.F32) return new View(kByLayer[layer], pageSize);
        kWide = widen(layer, end, true, kWide);
        return new View(new float[][]{kWide}, Math.max(end, 1));
    }

    /** Values of positions [0, end) of a layer, as {@link #keys}. */
    View values(int layer, int end) {
        if (type == Type.F32) return new View(vByLayer[layer], pageSize);
        vWide = widen(layer, end, false, vWide);
        return new View(new float[][]{vWide}, Math.max(end, 1));
    }

    /**
     * F16 caches: a layer's key pages as stored, F16 bits [pageRows][Hkv * Dh] each, for decode attention (its tasks
     * widen a KV head each, in parallel, instead of this thread widening the whole layer first); null for F32 caches.
     */
    short[][] halfKeyPages(int layer) {
        return type == Type.F16 ? k16ByLayer[layer] : null;
    }

    /** Values of a layer, as {@link #halfKeyPages}. */
    short[][] halfValuePages(int layer) {
        return type == Type.F16 ? v16ByLayer[layer] : null;
    }

    /** Positions per page. */
    int pageRows() {
        return pageSize;
    }

    /** Test and debugging view: the key row of one position of one layer, as F32. */
    float[] keyRow(int layer, int pos) {
        View v = keys(layer, pos + 1);
        int row = kvHeads * headDim;
        float[] page = v.pages()[pos / v.pageRows()];
        return java.util.Arrays.copyOfRange(page, (pos % v.pageRows()) * row, (pos % v.pageRows() + 1) * row);
    }

    private float[] widen(int layer, int end, boolean keys, float[] wide) {
        int row = kvHeads * headDim;
        if (wide == null || wide.length < end * row) wide = new float[Math.max(end, allocatedPositions()) * row];
        for (int p = 0; p * pageSize < end; p++) {
            KvPages.Page page = pages.get(p);
            int n = Math.min(pageSize, end - p * pageSize) * row;
            toFloat(keys ? page.k16[layer] : page.v16[layer], wide, p * pageSize * row, n);
        }
        return wide;
    }

    private static void toHalf(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float.floatToFloat16(src[srcOff + i]);
    }

    private static void toFloat(short[] src, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(src[i]);
    }
}
