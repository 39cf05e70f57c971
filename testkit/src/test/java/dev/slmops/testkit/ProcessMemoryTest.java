package dev.slmops.testkit;

import org.junit.jupiter.api.Test;

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
    void peakFollowsATouchedAllocationAndResetsToTheCurrentRss() {
        if (!ProcessMemory.resetPeak()) {
            org.junit.jupiter.api.Assumptions.abort("this kernel does not allow resetting VmHWM");
        }
        long before = ProcessMemory.peakRssBytes();
        byte[] block = new byte[64 << 20]; // zeroed by the JVM: every page touched
        long withBlock = ProcessMemory.peakRssBytes();
        assertThat(block.length).isPositive();
        assertThat(withBlock - before).isGreaterThan(32L << 20);
        assertThat(ProcessMemory.rssBytes()).isLessThanOrEqualTo(ProcessMemory.peakRssBytes());
    }
}
