package dev.slmops.serve.scheduler;

/** Timings and counts the decode loop reports (metrics); called on the decode thread, must not block. */
public interface StepObserver {
    StepObserver NONE = new StepObserver() {
    };

    /** One forward call over {@code sequences} sequences, {@code rows} token rows in all. */
    default void step(int sequences, int rows, long nanos) {
    }

    /** Time from a sequence's submission to its first generated token. */
    default void firstToken(long nanos) {
    }

    /** Time between two consecutive tokens of one sequence. */
    default void interToken(long nanos) {
    }

    default void promptTokens(int count) {
    }

    default void completionTokens(int count) {
    }
}
