package dev.slmops.serve;

import dev.slmops.workflows.cache.ModelCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Requests may name the model cache's aliases (and pulled hub ids), never a path; idle models unload. */
class ModelCacheServingTest {

    @Test
    void anIdleModelUnloadsAfterItsTtlAndLoadsAgainOnUse() throws Exception {
        ServeOptions o = TestServer.options();
        o = new ServeOptions(o.models(), o.host(), 0, null, 4, 8, java.time.Duration.ofMillis(300), 0, 1,
                o.maxBodyBytes(), o.maxTokensCap(), o.maxN(), o.prefillRowsPerStep(), o.idleTimeout(), null);
        try (OpenAiServer server = OpenAiServer.start(o)) {
            String body = "{\"model\":\"tiny\",\"prompt\":\"a\",\"max_tokens\":2}";
            assertThat(TestServer.post(server.port(), "/v1/completions", body, null).status()).isEqualTo(200);
            assertThat(server.models().loadedModels()).hasSize(1);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!server.models().loadedModels().isEmpty() && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(server.models().loadedModels()).as("unloaded after the idle TTL").isEmpty();
            assertThat(TestServer.post(server.port(), "/v1/completions", body, null).status()).isEqualTo(200);
        }
    }

    @Test
    void anAliasOfTheCacheIsServedAndPathsStillAreNot(@TempDir Path home) throws Exception {
        ModelCache cache = new ModelCache(home);
        cache.setAlias("fav", TestServer.tinyModel().toString());
        try (OpenAiServer server = OpenAiServer.start(TestServer.options().withModelCache(home))) {
            int port = server.port();
            TestServer.Reply ok = TestServer.post(port, "/v1/completions",
                    "{\"model\":\"fav\",\"prompt\":\"a\",\"max_tokens\":2}", null);
            assertThat(ok.status()).as(ok.body()).isEqualTo(200);
            assertThat(ok.json().get("model").asText()).isEqualTo("fav");
            assertThat(TestServer.get(port, "/v1/models", null).body()).contains("\"fav\"", "\"tiny\"");
            for (String bad : new String[]{TestServer.tinyModel().toString(), "owner/not-pulled", "../fav"}) {
                TestServer.Reply r = TestServer.post(port, "/v1/completions",
                        "{\"model\":\"" + bad + "\",\"prompt\":\"a\",\"max_tokens\":2}", null);
                assertThat(r.status()).as(bad).isEqualTo(404);
                assertThat(r.json().at("/error/code").asText()).isEqualTo("model_not_found");
            }
        }
    }
}
