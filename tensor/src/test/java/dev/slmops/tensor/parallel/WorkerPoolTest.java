package dev.slmops.tensor.parallel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkerPoolTest {

    @Test
    void runsEveryTaskExactlyOnceAcrossManyLoops() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int round = 0; round < 2000; round++) {
                int n = 1 + round % 37;
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                pool.parallelFor(n, hits::incrementAndGet);
                for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("round %d task %d", round, i).isEqualTo(1);
            }
        }
    }

    @Test
    void wakesParkedWorkersAfterIdleness() throws InterruptedException {
        try (WorkerPool pool = new WorkerPool(2)) {
            pool.parallelFor(4, i -> { });
            Thread.sleep(60); // past spin and yield: the worker parks
            AtomicInteger onWorker = new AtomicInteger();
            Thread caller = Thread.currentThread();
            for (int round = 0; round < 50 && onWorker.get() == 0; round++) {
                pool.parallelFor(64, i -> {
                    if (Thread.currentThread() != caller) onWorker.incrementAndGet();
                    long until = System.nanoTime() + 20_000;
                    while (System.nanoTime() < until) Thread.onSpinWait();
                });
            }
            assertThat(onWorker.get()).as("tasks run by the worker thread").isPositive();
        }
    }

    @Test
    void theCallerTakesOverTheRangeOfAWorkerThatIsHeldUp() {
        try (WorkerPool pool = new WorkerPool(2)) {
            Thread caller = Thread.currentThread();
            AtomicInteger onCaller = new AtomicInteger();
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            pool.parallelFor(100, i -> {
                hits.incrementAndGet(i);
                if (Thread.currentThread() == caller) onCaller.incrementAndGet();
                else if (hits.get(99) == 0) { // the worker's first task stalls (a preempted thread)
                    long until = System.nanoTime() + 200_000_000L;
                    while (System.nanoTime() < until && onCaller.get() < 99) Thread.onSpinWait();
                }
            });
            for (int i = 0; i < 100; i++) assertThat(hits.get(i)).as("task %d", i).isEqualTo(1);
            // the worker's range is [50, 100): all of it but the task it stalled in ran on the caller
            assertThat(onCaller.get()).isGreaterThanOrEqualTo(99);
        }
    }

    @Test
    void propagatesTheFirstExceptionAndStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThatThrownBy(() -> pool.parallelFor(100, i -> {
                if (i == 42) throw new IllegalStateException("task 42 failed");
            })).isInstanceOf(IllegalStateException.class).hasMessage("task 42 failed");
            AtomicInteger count = new AtomicInteger();
            pool.parallelFor(10, i -> count.incrementAndGet());
            assertThat(count.get()).isEqualTo(10);
        }
    }

    @Test
    void nestedLoopsRunInlineInsteadOfDeadlocking() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicInteger count = new AtomicInteger();
            pool.parallelFor(4, i -> pool.parallelFor(5, j -> count.incrementAndGet()));
            assertThat(count.get()).isEqualTo(20);
        }
    }

    @Test
    void closeStopsWorkersAndRejectsLaterLoops() throws InterruptedException {
        WorkerPool pool = new WorkerPool(2);
        pool.parallelFor(8, i -> { });
        pool.close();
        Thread.sleep(10);
        assertThat(pool.workersAlive()).isZero();
        assertThatThrownBy(() -> pool.parallelFor(2, i -> { })).hasMessageContaining("closed");
        assertThatThrownBy(() -> new WorkerPool(0)).hasMessageContaining("at least 1");
    }

    @Test
    void singleThreadPoolRunsOnTheCaller() {
        try (WorkerPool pool = new WorkerPool(1)) {
            Thread caller = Thread.currentThread();
            pool.parallelFor(5, i -> assertThat(Thread.currentThread()).isSameAs(caller));
        }
    }
}
