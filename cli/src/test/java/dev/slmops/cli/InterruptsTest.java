package dev.slmops.cli;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Ctrl-C while a chat reply streams: SIGINT runs the given action, and closing puts the previous handler back. */
@SuppressWarnings("removal")
class InterruptsTest {
    @Test
    void sigintRunsTheActionWhileOpenAndThePreviousHandlerAfter() throws Exception {
        sun.misc.Signal sigint = new sun.misc.Signal("INT");
        CountDownLatch outer = new CountDownLatch(1), inner = new CountDownLatch(1);
        // a handler of the test's own first, so that a SIGINT can never reach the JVM's (which would end this run)
        sun.misc.SignalHandler original = sun.misc.Signal.handle(sigint, s -> outer.countDown());
        try {
            try (AutoCloseable open = Interrupts.whileOpen(inner::countDown)) {
                sun.misc.Signal.raise(sigint);
                assertThat(inner.await(10, TimeUnit.SECONDS)).as("the action ran").isTrue();
            }
            assertThat(outer.getCount()).as("the test's handler did not run while open").isEqualTo(1);
            sun.misc.Signal.raise(sigint);
            assertThat(outer.await(10, TimeUnit.SECONDS)).as("the previous handler is back").isTrue();
        } finally {
            sun.misc.Signal.handle(sigint, original);
        }
    }
}
