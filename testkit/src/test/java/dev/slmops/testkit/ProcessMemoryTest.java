package dev.slmops.testkit;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Resident memory read from /proc/self/status, and the peak reset through /proc/self/clear_refs. */
class ProcessMemoryTest {
    @Test
    void parsesTheKibLinesOfProcStatus() {
        String status = "Name:\tjava\nVmHWM:\t  123456 kB\nVmRSS:\t   65432 kB\n";
        assertThat(ProcessMemory.parseKiB(status, "VmHWM")).isEqualTo(123456);
        assertThat(ProcessMemory.parseKiB(status, "VmRSS")).isEqualTo(65432);
        assertThatThrownBy(() -> ProcessMemory.parseKiB(status, "VmSwap")).hasMessageContaining("no VmSwap");
    }

    @Test
    void peakFollowsATouchedAllocationAndStaysAfterItIsFreed() {
        if (!ProcessMemory.resetPeak()) {
            org.junit.jupiter.api.Assumptions.abort("this kernel does not allow resetting VmHWM");
        }
        long before = ProcessMemory.peakRssBytes();
        long size = 64L << 20;
        // the kernel's RSS counters are per-CPU and read approximately: allow a few pages either way
        long slack = 4L << 20;
        long withBlock;
        // native memory (fresh pages from mmap), not the Java heap whose pages earlier tests may have touched
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(size);
            block.fill((byte) 1); // touch every page
            long rss = ProcessMemory.rssBytes();
            withBlock = ProcessMemory.peakRssBytes(); // read second: the peak never falls below an earlier RSS
            assertThat(rss).isLessThanOrEqualTo(withBlock + slack);
        }
        assertThat(withBlock - before).isGreaterThan(size / 2);
        assertThat(ProcessMemory.peakRssBytes()).isGreaterThanOrEqualTo(withBlock - slack); // a high-water mark
    }
}
