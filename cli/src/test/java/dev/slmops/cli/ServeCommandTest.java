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

    /**
     * `slmops serve` in a child JVM with SLMOPS_API_KEY set and no --api-key: every endpoint but /health wants the
     * key from the environment.
     */
    @Test
    void theApiKeyComesFromTheEnvironment(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("tiny");
        assertThat(Main.commandLine().execute("init", "--shape", "tiny-llama", "--dtype", "f32", "-o", model.toString()))
                .isZero();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--model", "tiny=" + model, "--port", "0", "--no-warmup", "--no-cache")
                .redirectErrorStream(true);
        pb.environment().put("SLMOPS_API_KEY", "sesame");
        pb.environment().put("SLMOPS_HOME", tmp.resolve("home").toString());
        Process p = pb.start();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
            String line, seen = "";
            int port = -1;
            while (port < 0 && (line = out.readLine()) != null) { // "slmops serve: http://127.0.0.1:PORT/v1 ..."
                seen += line + "\n";
                var m = java.util.regex.Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/v1").matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                    assertThat(line).contains("(API key required)");
                }
            }
            assertThat(port).as(seen).isPositive();
            int serverPort = port;
            var http = java.net.http.HttpClient.newHttpClient();
            java.util.function.BiFunction<String, String, Integer> get = (path, key) -> {
                var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + serverPort + path));
                if (key != null) b.header("Authorization", "Bearer " + key);
                try {
                    return http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            };
            assertThat(get.apply("/health", null)).isEqualTo(200);
            assertThat(get.apply("/v1/models", null)).isEqualTo(401);
            assertThat(get.apply("/v1/models", "wrong")).isEqualTo(401);
            assertThat(get.apply("/v1/models", "sesame")).isEqualTo(200);
        } finally {
            p.destroy();
            p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        }
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
