package dev.slmops.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The connection idle timeout (against slow-loris clients) does not cut a request the server itself is still
 * computing: a non-streamed reply that takes longer than the idle timeout to generate arrives whole.
 */
class IdleTimeoutTest {

    @Test
    void aLongNonStreamedGenerationOutlivesTheIdleTimeout() {
        ServeOptions o = TestServer.options();
        o = new ServeOptions(o.models(), o.host(), 0, null, 1, 8, o.idleTtl(), 0, 1, o.maxBodyBytes(), 240, 8,
                o.prefillRowsPerStep(), Duration.ofMillis(300), null);
        try (OpenAiServer server = OpenAiServer.start(o)) {
            // warm the request path first: a cold JVM may take longer than 0.3 s before reading a request at all
            TestServer.post(server.port(), "/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"a\",\"max_tokens\":1}", null);
            String body = "{\"model\":\"tiny\",\"prompt\":\"a\",\"max_tokens\":240,\"n\":8,\"logit_bias\":{\"2\":-100}}";
            long t0 = System.nanoTime();
            TestServer.Reply r = TestServer.post(server.port(), "/v1/completions", body, null);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode choices = r.json().get("choices");
            assertThat(choices).hasSize(8);
            for (JsonNode c : choices) assertThat(c.get("finish_reason").asText()).isIn("stop", "length");
            // 1920 tokens one sequence at a time (max batch 1): without the fix a 0.3 s timeout cut this reply (4 s here)
            System.out.printf("8 x 240 tokens in %.2f s with a 0.3 s idle timeout%n", seconds);
        }
    }
}
