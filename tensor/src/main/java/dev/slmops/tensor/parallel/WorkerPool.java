package dev.slmops.tensor.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of threads that run {@code parallelFor} loops with low dispatch latency: idle workers spin for a
 * short while (a decode step issues hundreds of loops a few µs apart, and park/unpark costs tens of µs), then
 * yield, then park so an idle JVM does not burn cores.
 *
 * <p>{@code threads} counts the caller: a pool of 2 starts 1 worker thread and the caller runs tasks too.
 * Create one per engine and pass it down (no global pool). Close it to stop the workers.
 *
 * <p>Loops do not nest: a {@code parallelFor} issued from inside a task, or while another thread's loop is
 * running, runs its tasks on the calling thread.
 */
public final class WorkerPool implements AutoCloseable {
    /** Spin this long after a loop before yielding (ns). */
    private static final long SPIN_NANOS = 200_000;
    /** Spin-wait iterations of a loop's caller for the other threads' last tasks before it yields instead (~20 µs). */
    private static final int WAIT_SPINS = 1000;
    /** Yield this long after a loop before parking (ns). */
    private static final long YIELD_NANOS = 20_000_000;

    /**
     * One loop: workers capture it once, so a late worker can never run another loop's task. Tasks are split into one
     * contiguous range per thread (thread 0 the caller, worker w thread w + 1); each thread claims its own range's
     * tasks in order from a counter of its own, then takes what is left of the others' ranges, so a slow or preempted
     * thread's tasks still finish elsewhere. A claim is an atomic increment of a counter only that thread touches
     * until the ranges run out; with one shared counter (and a shared completion counter bumped per task) every claim
     * moved a cache line between the cores, ~0.5 µs a task on this class of machine, where decode tasks run 1-4 µs.
     */
    private static final class Job {
        /** Ints between two threads' counters: 128 bytes, two cache lines (adjacent-line prefetch). */
        private static final int PAD = 32;
        final IntConsumer task;
        final int nTasks;
        private final int threads;
        /** Thread t's next task at [t * PAD]; its range ends at {@link #end}(t). */
        private final AtomicIntegerArray next;
        /** Tasks finished, added once per thread and loop. */
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(IntConsumer task, int nTasks, int threads) {
            this.task = task;
            this.nTasks = nTasks;
            this.threads = threads;
            this.next = new AtomicIntegerArray(threads * PAD);
            for (int t = 1; t < threads; t++) next.set(t * PAD, start(t));
        }

        private int start(int t) {
            return (int) ((long) nTasks * t / threads);
        }

        private int end(int t) {
            return start(t + 1);
        }

        /** Runs thread {@code self}'s tasks, then the others' unclaimed ones, until none are left. */
        void work(int self) {
            int ran = 0;
            for (int k = 0; k < threads; k++) {
                int t = (self + k) % threads, end = end(t), i;
                while ((i = next.getAndIncrement(t * PAD)) < end) {
                    try {
                        if (failure.get() == null) task.accept(i);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                    ran++;
                }
            }
            done.addAndGet(ran);
        }
    }

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger[] parkedFlags;
    private volatile Job current;
    private volatile boolean closed;
    private final AtomicInteger busy = new AtomicInteger();
    private final ThreadLocal<Boolean> insideTask = ThreadLocal.withInitial(() -> Boolean.FALSE);

    /** A pool of {@code threads} threads including the caller's (so {@code threads - 1} workers are started). */
    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("a worker pool needs at least 1 thread, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.parkedFlags = new AtomicInteger[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            parkedFlags[w] = new AtomicInteger();
            int id = w;
            workers[w] = Thread.ofPlatform().daemon().name("slmops-worker-" + (w + 1)).unstarted(() -> runWorker(id));
            workers[w].start();
        }
    }

    /** A pool with one thread per available processor. */
    public static WorkerPool ofAvailableProcessors() {
        return new WorkerPool(Runtime.getRuntime().availableProcessors());
    }

    /** Threads that run tasks, the caller included. */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task.accept(i)} for every {@code i} in {@code [0, nTasks)}, spread over the pool's threads
     * (the caller included), and returns when all have finished. Each thread starts on its own contiguous share of the
     * tasks and then takes the others' unclaimed ones, so uneven task costs and a late thread balance out; make tasks
     * independent (they run concurrently, in no particular order).
     * The first exception a task throws is rethrown here once the loop has drained (later tasks are skipped).
     */
    public void parallelFor(int nTasks, IntConsumer task) {
        if (closed) throw new IllegalStateException("this WorkerPool is closed");
        if (nTasks <= 0) return;
        if (nTasks == 1 || workers.length == 0 || insideTask.get() || !busy.compareAndSet(0, 1)) {
            for (int i = 0; i < nTasks; i++) task.accept(i);
            return;
        }
        try {
            Job job = new Job(task, nTasks, threads);
            current = job;
            for (int w = 0; w < workers.length; w++) {
                if (parkedFlags[w].get() != 0) LockSupport.unpark(workers[w]);
            }
            insideTask.set(Boolean.TRUE);
            try {
                job.work(0);
            } finally {
                insideTask.set(Boolean.FALSE);
            }
            // the last tasks run on other threads: spin briefly, then yield, so that a worker the OS took off its
            // core (a busy machine) gets it back sooner instead of this thread burning the time waiting for it
            for (int spins = 0; job.done.get() < nTasks; spins++) {
                if (spins < WAIT_SPINS) Thread.onSpinWait();
                else Thread.yield();
            }
            Throwable t = job.failure.get();
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException("a parallel task failed", t);
        } finally {
            busy.set(0);
        }
    }

    private void runWorker(int id) {
        insideTask.set(Boolean.TRUE);
        Job seen = null;
        long idleSince = System.nanoTime();
        while (!closed) {
            Job job = current;
            if (job != seen) {
                seen = job;
                job.work(id + 1);
                idleSince = System.nanoTime();
                continue;
            }
            long idle = System.nanoTime() - idleSince;
            if (idle < SPIN_NANOS) {
                Thread.onSpinWait();
            } else if (idle < YIELD_NANOS) {
                Thread.yield();
            } else {
                // Dekker-style handshake with parallelFor: publish "parked", then re-check for a new job;
                // the dispatcher publishes the job, then checks "parked". One of the two sees the other.
                parkedFlags[id].set(1);
                if (current == seen && !closed) LockSupport.park(this);
                parkedFlags[id].set(0);
            }
        }
    }

    /** Worker threads still running (0 after {@link #close}). */
    int workersAlive() {
        int alive = 0;
        for (Thread w : workers) if (w.isAlive()) alive++;
        return alive;
    }

    /** Stops the workers and waits for them; later {@code parallelFor} calls fail. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
        for (Thread w : workers) {
            try {
                w.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
