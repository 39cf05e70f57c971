package dev.slmops.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The serve command's own parsing: model names and paths, durations; bad values fail with a clear message. */
class ServeCommandTest {

    @Test
    void modelsAreNamedExplicitlyOrAfterTheirFile(@TempDir Path tmp) throws Exception {
        Path gguf = Files.createFile(tmp.resolve("Qwen2.5-0.5B-Q8_0.gguf"));
        Path dir = Files.createDirectory(tmp.resolve("smollm"));
        var m = ServeCommand.modelMap(List.of(gguf.toString(), "chat=" + dir));
        assertThat(m.keySet()).containsExactly("Qwen2.5-0.5B-Q8_0", "chat");
        assertThat(m.get("chat")).isEqualTo(dir);
    }

    @Test
    void missingPathsDuplicateNamesAndColonsAreRefused(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("m"));
        assertThatThrownBy(() -> ServeCommand.modelMap(List.of(tmp.resolve("nope").toString())))
                .hasMessageContaining("no such file or directory");
        assertThatThrownBy(() -> ServeCommand.modelMap(List.of("a=" + dir, "a=" + dir)))
                .hasMessageContaining("two models are named 'a'");
        assertThatThrownBy(() -> ServeCommand.modelMap(List.of("a:b=" + dir))).hasMessageContaining("without ':'");
    }

    @Test
    void durations() {
        assertThat(ServeCommand.duration("--ttl", "15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(ServeCommand.duration("--ttl", "30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(ServeCommand.duration("--ttl", "2h")).isEqualTo(Duration.ofHours(2));
        assertThat(ServeCommand.duration("--ttl", "0")).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> ServeCommand.duration("--ttl", "soon")).hasMessageContaining("expected a duration");
    }
}
