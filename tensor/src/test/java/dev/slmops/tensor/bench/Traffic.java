package dev.slmops.tensor.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Work counters JMH reports as rates next to ops/s (throughput mode, per second): {@code gb} = GB of weights
 * read per second, {@code gflop} = GFLOPS (2 M N K per call).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Traffic {
    public double gb;
    public double gflop;

    @Setup(Level.Iteration)
    public void reset() {
        gb = 0;
        gflop = 0;
    }
}
