package dev.slmops.tensor.parallel;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

class JitSettingsTest {
    @Test
    void theTestJvmRunsWithTheLaunchersInliningDepth() {
        // the pom passes the launcher's flags to test JVMs: the kernels are tested as they run in production
        assertThat(ManagementFactory.getRuntimeMXBean().getInputArguments()).contains("-XX:MaxInlineLevel=30");
        assertThat(JitSettings.warning()).isEmpty();
    }
}
