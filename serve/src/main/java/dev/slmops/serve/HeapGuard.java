package dev.slmops.serve;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps a long-running server's old generation from growing without bound under the collectors that never collect
 * it on their own while they can still grow it (Serial, what the {@code slmops} launcher runs, and Parallel).
 *
 * <p>Why: request-scoped objects (token lists, stream buffers, a prompt's logits) live for seconds, many young
 * collections, so some are promoted and die in the old generation. Those collectors then expand the old
 * generation instead of collecting it, up to the default maximum heap (a quarter of the machine's memory): under
 * a steady load the process grew by tens of MiB a minute (bench-serve.sh, 8 clients, 5 minutes: +30% RSS).
 * Here a daemon thread looks at the old generation every few seconds and, once it holds more than {@code
 * slack} over what was live after the last full collection, asks for one ({@link System#gc()}; with Serial a
 * pause of ~0.1 s for a 0.5B model's heap, which is mostly a few large weight arrays that do not move). The
 * freed space is then reused, so the resident size stays where warm-up put it. Under G1, ZGC or Shenandoah,
 * which collect the old generation concurrently, it does nothing.
 */
public final class HeapGuard implements AutoCloseable {
    /** How often the old generation is looked at (ms). */
    static final long PERIOD_MS = 5_000;

    private final MemoryPoolMXBean oldGen;
    private final long periodMs;
    private final Thread thread;
    private final AtomicLong collections = new AtomicLong();
    private volatile boolean closed;
    private long liveAfterLast;

    private HeapGuard(MemoryPoolMXBean oldGen, long periodMs) {
        this.oldGen = oldGen;
        this.periodMs = periodMs;
        this.liveAfterLast = oldGen.getUsage().getUsed();
        this.thread = Thread.ofPlatform().daemon().name("slmops-heap-guard").unstarted(this::run);
    }

    /** Starts a guard when this JVM's collector needs one (Serial or Parallel), else returns empty. */
    public static Optional<HeapGuard> startIfNeeded() {
        return startIfNeeded(PERIOD_MS);
    }

    static Optional<HeapGuard> startIfNeeded(long periodMs) {
        if (!expandsOldGenerationWithoutCollecting()) return Optional.empty();
        return oldGeneration().map(pool -> {
            HeapGuard g = new HeapGuard(pool, periodMs);
            g.thread.start();
            return g;
        });
    }

    /** Whether the JVM runs the Serial or the Parallel collector (their old-generation collector's names). */
    static boolean expandsOldGenerationWithoutCollecting() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = gc.getName();
            if (name.equals("MarkSweepCompact") || name.equals("PS MarkSweep")) return true;
        }
        return false;
    }

    private static Optional<MemoryPoolMXBean> oldGeneration() {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP)
                .filter(p -> p.getName().contains("Tenured") || p.getName().contains("Old Gen"))
                .findFirst();
    }

    /**
     * The growth allowed before a collection: 2% of what was live plus 16 MiB (a 600 MiB server heap: ~28 MiB, a
     * full collection every ~40 s at the promotion rate measured under 8 streaming clients).
     */
    static long slack(long live) {
        return live / 50 + (16L << 20);
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(periodMs);
            } catch (InterruptedException e) {
                return;
            }
            long used = oldGen.getUsage().getUsed();
            if (used > liveAfterLast + slack(liveAfterLast)) {
                System.gc();
                collections.incrementAndGet();
                liveAfterLast = oldGen.getUsage().getUsed();
            } else if (used < liveAfterLast) {
                liveAfterLast = used; // a model unloaded and collected: follow it down
            }
        }
    }

    /** Full collections this guard asked for. */
    public long collections() {
        return collections.get();
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
