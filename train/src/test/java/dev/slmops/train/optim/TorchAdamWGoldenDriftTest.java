package dev.slmops.train.optim;

import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Regenerates the AdamW golden files with PyTorch (Debian's /usr/bin/python3 with python3-torch) and fails if they
 * drifted from the committed ones. Opt-in (-Pslow): the default tests read the committed files and need no Python.
 */
@Tag("slow")
class TorchAdamWGoldenDriftTest {
    @Test
    void committedGoldensEqualAFreshPyTorchRun(@TempDir Path tmp) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "SKIPPED: /usr/bin/python3 (Debian, with python3-torch) is missing");
        Process p = new ProcessBuilder(python.toString(),
                ProjectFiles.root().resolve("scripts/reference/torch_adamw.py").toString(), tmp.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        Assumptions.assumeTrue(!log.contains("No module named 'torch'"), "SKIPPED: python3-torch is not installed");
        assertThat(p.exitValue()).as(log).isZero();
        Path committed = Path.of(getClass().getResource("/golden/torch-adamw/meta.json").toURI()).getParent();
        for (String f : new String[]{"init.bin", "grads.bin", "params.bin"}) {
            assertThat(TorchAdamWGolden.floats(tmp.resolve(f))).as(f).isEqualTo(TorchAdamWGolden.floats(committed.resolve(f)));
        }
    }
}
