package dev.slmops.serve;

import dev.slmops.workflows.cache.ModelCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Requests may name the model cache's aliases (and pulled hub ids), never a path. */
class ModelCacheServingTest {

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
