package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;

import java.util.ArrayDeque;

/**
 * Where {@link KvCache}s get their memory: pages of {@code pageSize} positions (all layers, keys and values),
 * handed out as a sequence grows and taken back when it is truncated or ends, so that the memory of many caches
 * follows the positions they hold rather than the context each could reach. One pool serves caches of one model
 * shape and storage type; it keeps at most {@code maxIdlePages} returned pages for reuse (the rest go to the
 * garbage collector). Thread-safe: caches of sequences decoded on different threads may share it.
 *
 * <pre>
 *   page, per layer: keys [pageSize, Hkv * Dh], values [pageSize, Hkv * Dh]   (F32 floats or F16 bits)
 *   bytes per page = pageSize * layers * 2 * Hkv * Dh * (4 or 2)   (qwen2.5-0.5b, 256 positions, F32: 6 MiB)
 * </pre>
 */
public final class KvPages {
    /** The default page: 256 positions (a short chat fits one; attention reads a single page without copying). */
    public static final int DEFAULT_PAGE_SIZE = 256;

    final int numLayers, kvHeads, headDim, pageSize, contextLength;
    final KvCache.Type type;
    private final int maxIdlePages;
    private final ArrayDeque<Page> idle = new ArrayDeque<>();
    private int inUse;
    private int peakInUse;

    /** One page: per layer, pageSize rows of Hkv * Dh keys and values. Exactly one of the F32/F16 pairs is set. */
    static final class Page {
        final float[][] k, v;
        final short[][] k16, v16;

        Page(int layers, int floats, KvCache.Type type) {
            if (type == KvCache.Type.F32) {
                k = new float[layers][floats];
                v = new float[layers][floats];
                k16 = v16 = null;
            } else {
                k16 = new short[layers][floats];
                v16 = new short[layers][floats];
                k = v = null;
            }
        }
    }

    /**
     * @param pageSize     positions per page (&gt; 0)
     * @param maxIdlePages returned pages kept for reuse at most (0: every returned page is dropped)
     */
    public KvPages(ModelConfig config, KvCache.Type type, int pageSize, int maxIdlePages) {
        if (pageSize <= 0) throw new IllegalArgumentException("KV page size must be positive, got " + pageSize);
        if (maxIdlePages < 0) throw new IllegalArgumentException("idle KV pages must be >= 0, got " + maxIdlePages);
        if ((long) pageSize * config.numKvHeads() * config.headDim() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a KV page of " + pageSize + " positions is too large for one array");
        }
        this.numLayers = config.numLayers();
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.contextLength = config.contextLength();
        this.pageSize = pageSize;
        this.type = java.util.Objects.requireNonNull(type, "type");
        this.maxIdlePages = maxIdlePages;
    }

    /**
     * A pool for one cache alone: pages of {@link #DEFAULT_PAGE_SIZE}, kept once returned (up to the capacity's worth)
     * so a cache truncated and refilled (a new prompt, a benchmark repetition, a rewound chat) reuses its pages:
     * dropped pages are large arrays that the garbage collector has usually moved to the old generation already,
     * where they would stay resident until a full collection.
     */
    static KvPages unshared(ModelConfig config, KvCache.Type type, int capacity) {
        int pageSize = Math.min(DEFAULT_PAGE_SIZE, capacity);
        return new KvPages(config, type, pageSize, (capacity + pageSize - 1) / pageSize);
    }

    public int pageSize() {
        return pageSize;
    }

    public KvCache.Type type() {
        return type;
    }

    /** Memory of one page in bytes. */
    public long bytesPerPage() {
        return (long) pageSize * numLayers * 2 * kvHeads * headDim * (type == KvCache.Type.F32 ? 4 : 2);
    }

    /** Pages held by caches now. */
    public synchronized int pagesInUse() {
        return inUse;
    }

    /** The most pages held by caches at once so far. */
    public synchronized int peakPagesInUse() {
        return peakInUse;
    }

    /** Returned pages waiting for reuse. */
    public synchronized int idlePages() {
        return idle.size();
    }

    synchronized Page take() {
        Page p = idle.pollFirst();
        if (p == null) p = new Page(numLayers, pageSize * kvHeads * headDim, type);
        inUse++;
        peakInUse = Math.max(peakInUse, inUse);
        return p;
    }

    /** Takes a page back (its contents are stale: a cache writes positions before it reads them). */
    synchronized void give(Page p) {
        inUse--;
        if (idle.size() < maxIdlePages) idle.addFirst(p); // the most recently used first: likelier still in cache
    }

    boolean fits(ModelConfig c) {
        return c.numLayers() == numLayers && c.numKvHeads() == kvHeads && c.headDim() == headDim;
    }
}
