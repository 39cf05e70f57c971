package dev.slmops.cli;

/**
 * Ctrl-C while a reply streams, as llama-cli and Ollama take it: the reply stops and the session goes on; Ctrl-C
 * elsewhere ends the process as usual. Uses the JDK's {@code sun.misc.Signal} (module jdk.unsupported, kept for
 * exactly this); where SIGINT cannot be handled, nothing is installed and Ctrl-C ends the process.
 */
final class Interrupts {
    private Interrupts() {
    }

    /** While open, SIGINT runs {@code onInterrupt} instead of ending the process; closing restores the previous handler. */
    @SuppressWarnings("removal")
    static AutoCloseable whileOpen(Runnable onInterrupt) {
        try {
            sun.misc.Signal sigint = new sun.misc.Signal("INT");
            sun.misc.SignalHandler previous = sun.misc.Signal.handle(sigint, signal -> onInterrupt.run());
            return () -> sun.misc.Signal.handle(sigint, previous);
        } catch (IllegalArgumentException | UnsupportedOperationException e) { // no SIGINT here, or the JVM keeps it
            return () -> { };
        }
    }
}
