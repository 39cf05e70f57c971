package dev.slmops.serve.scheduler;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.engine.KvCache;

import java.util.ArrayList;
import java.util.List;

/**
 * Reuses the KV caches of finished sequences: a cache of a full context is tens of MiB per layer stack (qwen2.5-0.5b
 * at 4096 positions: 96 MiB), and allocating one per request churns the heap and lets the resident set creep up
 * under load. Capacities are rounded up to {@link #GRANULE} positions so that requests of similar length share
 * caches; at most {@code maxPooled} idle caches are kept. Used by the decode thread only.
 */
final class KvCachePool {
    static final int GRANULE = 256;

    private final ModelConfig config;
    private final int contextLength;
    private final int maxPooled;
    private final List<KvCache> idle = new ArrayList<>();

    KvCachePool(ModelConfig config, int contextLength, int maxPooled) {
        this.config = config;
        this.contextLength = contextLength;
        this.maxPooled = maxPooled;
    }

    /** An empty cache of at least {@code positions} positions (at most the context). */
    KvCache acquire(int positions) {
        int want = Math.min(contextLength, (positions + GRANULE - 1) / GRANULE * GRANULE);
        int best = -1;
        for (int i = 0; i < idle.size(); i++) {
            int c = idle.get(i).capacity();
            if (c >= want && (best < 0 || c < idle.get(best).capacity())) best = i;
        }
        if (best >= 0) return idle.remove(best);
        return new KvCache(config, want);
    }

    /** Takes back a finished sequence's cache (dropping the smallest idle one when the pool is full). */
    void release(KvCache cache) {
        cache.truncate(0);
        idle.add(cache);
        if (idle.size() > maxPooled) {
            int smallest = 0;
            for (int i = 1; i < idle.size(); i++) if (idle.get(i).capacity() < idle.get(smallest).capacity()) smallest = i;
            idle.remove(smallest);
        }
    }

    int idleCaches() {
        return idle.size();
    }
}
