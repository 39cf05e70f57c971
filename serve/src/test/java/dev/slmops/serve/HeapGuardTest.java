package dev.slmops.serve;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server's old-generation guard: under a collector that grows the old generation instead of collecting it
 * (the tests run Parallel, the launcher Serial), garbage promoted there is collected once it passes the slack.
 */
class HeapGuardTest {

    @Test
    void slackIsTwoPercentOfTheLiveHeapPlus16MiB() {
        assertThat(HeapGuard.slack(0)).isEqualTo(16L << 20);
        assertThat(HeapGuard.slack(600L << 20)).isEqualTo((12L << 20) + (16L << 20));
    }

    @Test
    void promotedGarbageOverTheSlackIsCollected() throws Exception {
        assertThat(HeapGuard.expandsOldGenerationWithoutCollecting())
                .as("the test JVM's collector (pom.xml: -XX:+UseParallelGC)").isTrue();
        try (HeapGuard guard = HeapGuard.startIfNeeded(50).orElseThrow()) {
            // 96 MiB that survive a collection (so they sit in the old generation), then die there
            List<long[]> held = new ArrayList<>();
            for (int i = 0; i < 96; i++) held.add(new long[1 << 17]);
            System.gc();
            held.clear();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (guard.collections() == 0 && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(guard.collections()).as("full collections the guard asked for").isPositive();
        }
    }
}
