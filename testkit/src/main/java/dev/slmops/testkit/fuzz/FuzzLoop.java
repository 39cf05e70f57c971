package dev.slmops.testkit.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a reader over many mutants of seed inputs and fails on anything but the reader's own clear errors.
 *
 * <p>A mutant fails the run when the target throws a throwable that is not an instance of one of the allowed
 * types (an IndexOutOfBoundsException, OutOfMemoryError, ArithmeticException ... is a reader bug), or when one
 * input runs longer than the per-input limit (a hang). The failing input is saved under
 * {@code target/fuzz-failures/} for reproduction.
 */
public final class FuzzLoop {
    private FuzzLoop() {
    }

    /** What a reader does with one input; throwing an allowed exception means "rejected cleanly". */
    @FunctionalInterface
    public interface Target {
        void accept(byte[] input) throws Exception;
    }

    /**
     * @param inputs     mutants run (seeds included)
     * @param accepted   inputs the reader accepted
     * @param rejected   inputs rejected with an allowed exception
     * @param rejections count per first line of the rejection message's leading words (for a glance at coverage)
     */
    public record Report(long inputs, long accepted, long rejected, Map<String, Long> rejections) {
        @Override
        public String toString() {
            return inputs + " inputs: " + accepted + " accepted, " + rejected + " rejected cleanly, "
                    + rejections.size() + " distinct rejection kinds";
        }
    }

    public static Report run(String name, List<byte[]> seeds, int iterations, long seed, Duration perInputLimit,
                             Target target, Set<Class<? extends Throwable>> allowed) {
        Mutator mutator = new Mutator(seed, 1 << 22);
        AtomicLong started = new AtomicLong();      // inputs begun
        AtomicLong startNanos = new AtomicLong(System.nanoTime());
        AtomicReference<byte[]> current = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] counts = new long[2];
        Map<String, Long> kinds = new TreeMap<>();

        Thread worker = Thread.ofPlatform().daemon().name("fuzz-" + name).start(() -> {
            for (int i = 0; i < iterations + seeds.size() && failure.get() == null; i++) {
                byte[] input = i < seeds.size() ? seeds.get(i) : mutator.mutate(seeds.get(i % seeds.size()));
                current.set(input);
                startNanos.set(System.nanoTime());
                started.incrementAndGet();
                try {
                    target.accept(input);
                    counts[0]++;
                } catch (Throwable t) {
                    if (allowed.stream().anyMatch(c -> c.isInstance(t))) {
                        counts[1]++;
                        kinds.merge(kind(t.getMessage()), 1L, Long::sum);
                    } else {
                        failure.set(t);
                    }
                }
            }
        });
        long limit = perInputLimit.toNanos();
        while (worker.isAlive()) {
            long before = started.get();
            try {
                worker.join(Math.max(1, Math.min(200, perInputLimit.toMillis())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            if (worker.isAlive() && started.get() == before && System.nanoTime() - startNanos.get() > limit) {
                Path saved = save(name, current.get());
                throw new AssertionError(name + ": input #" + started.get() + " ran longer than " + perInputLimit
                        + " (a hang?); saved to " + saved);
            }
        }
        Throwable t = failure.get();
        if (t != null) {
            Path saved = save(name, current.get());
            throw new AssertionError(name + ": input #" + started.get() + " made the reader throw "
                    + t.getClass().getName() + " (not a clean rejection); saved to " + saved, t);
        }
        return new Report(started.get(), counts[0], counts[1], kinds);
    }

    private static String kind(String message) {
        if (message == null) return "(no message)";
        String m = message.replaceAll("[0-9]+", "N");
        return m.length() > 80 ? m.substring(0, 80) : m;
    }

    private static Path save(String name, byte[] input) {
        try {
            Path dir = Path.of("target", "fuzz-failures");
            Files.createDirectories(dir);
            Path p = dir.resolve(name + "-" + System.nanoTime() + ".bin");
            Files.write(p, input == null ? new byte[0] : input);
            return p.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
