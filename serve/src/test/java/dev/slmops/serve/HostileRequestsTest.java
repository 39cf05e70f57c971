package dev.slmops.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.serve.scheduler.Scheduler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Malformed and hostile requests, each answered with the right 4xx and OpenAI's error object
 * ({@code {"error": {"message", "type", "param", "code"}}}), while the server keeps answering a good request after
 * every one of them.
 */
class HostileRequestsTest {
    static final String KEY = "test-key-123";
    static OpenAiServer server;
    static int port;

    static Thread canary;
    static volatile boolean canaryRunning = true;
    static final java.util.concurrent.atomic.AtomicInteger canaryOk = new java.util.concurrent.atomic.AtomicInteger();
    static final ConcurrentLinkedQueue<String> canaryFailures = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() {
        ServeOptions o = TestServer.options();
        // "tiny" takes the abuse (max batch 1, queue 1); "canary" is the same model under another name, with its own
        // decode loop, streaming good requests the whole time.
        Map<String, Path> models = new LinkedHashMap<>();
        models.put("tiny", TestServer.tinyModel());
        models.put("canary", TestServer.tinyModel());
        o = new ServeOptions(models, o.host(), 0, KEY, 1, 1, o.idleTtl(), 0, 1, 64 * 1024, 200, 4, 64,
                Duration.ofSeconds(2), null);
        server = OpenAiServer.start(o);
        port = server.port();
        canary = Thread.ofVirtual().start(() -> {
            String body = "{\"model\":\"canary\",\"prompt\":\"still here\",\"max_tokens\":8,\"stream\":true}";
            while (canaryRunning) {
                TestServer.Reply r = TestServer.post(port, COMP, body, KEY);
                if (r.status() == 200 && r.body().endsWith("data: [DONE]\n\n")) canaryOk.incrementAndGet();
                else canaryFailures.add(r.status() + " " + r.body());
            }
        });
    }

    @AfterAll
    static void stop() throws InterruptedException {
        canaryRunning = false;
        if (canary != null) canary.join(30_000);
        if (server != null) server.close();
        assertThat(canaryFailures).as("a client streaming good requests alongside the hostile ones").isEmpty();
        assertThat(canaryOk.get()).isPositive();
    }

    static Scheduler tinyScheduler() {
        return server.models().loadedModels().stream().filter(m -> m.name().equals("tiny")).findFirst()
                .orElseThrow().scheduler();
    }

    record Case(String name, String path, String body, String key, int status, String code) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final String CHAT = "/v1/chat/completions";
    static final String COMP = "/v1/completions";
    static final String USER = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    static Case chat(String name, String fields, int status, String code) {
        return new Case(name, CHAT, "{\"model\":\"tiny\"," + fields + "}", KEY, status, code);
    }

    static Case comp(String name, String fields, int status, String code) {
        return new Case(name, COMP, "{\"model\":\"tiny\"," + fields + "}", KEY, status, code);
    }

    static List<Case> cases() {
        String longPrompt = "word ".repeat(TestServer.CONTEXT + 100);
        String nested = "[".repeat(5000) + "]".repeat(5000);
        return List.of(
                new Case("invalid JSON", CHAT, "{\"model\":", KEY, 400, "invalid_json"),
                new Case("body is an array", CHAT, "[1,2]", KEY, 400, "invalid_json"),
                new Case("empty body", CHAT, "", KEY, 400, "invalid_json"),
                new Case("trailing garbage", CHAT, "{\"model\":\"tiny\"," + USER + "} trailing", KEY, 400, "invalid_json"),
                new Case("deeply nested JSON", CHAT, "{\"model\":\"tiny\",\"x\":" + nested + "}", KEY, 400, "invalid_json"),
                new Case("duplicate keys", CHAT, "{\"model\":\"tiny\",\"model\":\"other\"," + USER + "}", KEY, 400, "invalid_json"),
                new Case("NaN literal", CHAT, "{\"model\":\"tiny\",\"temperature\":NaN," + USER + "}", KEY, 400, "invalid_json"),
                chat("messages missing", "\"max_tokens\":4", 400, "invalid_value"),
                chat("messages empty", "\"messages\":[]", 400, "invalid_value"),
                chat("messages not an array", "\"messages\":\"hi\"", 400, "invalid_value"),
                chat("message without role", "\"messages\":[{\"content\":\"hi\"}]", 400, "invalid_value"),
                chat("unknown role", "\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]", 400, "invalid_value"),
                chat("system after user", "\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"system\",\"content\":\"b\"}]", 400, "invalid_value"),
                chat("tool result without a call", "\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"tool\",\"tool_call_id\":\"x\",\"content\":\"b\"}]", 400, "invalid_value"),
                chat("only a system message", "\"messages\":[{\"role\":\"system\",\"content\":\"a\"}]", 400, "invalid_value"),
                chat("content is a number", "\"messages\":[{\"role\":\"user\",\"content\":42}]", 400, "invalid_value"),
                chat("image content part", "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"file:///etc/passwd\"}}]}]", 400, "invalid_value"),
                new Case("unknown model", CHAT, "{\"model\":\"gpt-9\"," + USER + "}", KEY, 404, "model_not_found"),
                new Case("a path as the model", CHAT, "{\"model\":\"/etc/passwd\"," + USER + "}", KEY, 404, "model_not_found"),
                new Case("unknown adapter", CHAT, "{\"model\":\"tiny:nope\"," + USER + "}", KEY, 404, "adapter_not_found"),
                new Case("unknown adapter field", CHAT, "{\"model\":\"tiny\",\"adapter\":\"nope\"," + USER + "}", KEY, 404, "adapter_not_found"),
                new Case("model is a number", CHAT, "{\"model\":7," + USER + "}", KEY, 400, "invalid_value"),
                chat("negative max_tokens", USER + ",\"max_tokens\":-5", 400, "invalid_value"),
                chat("huge max_tokens", USER + ",\"max_tokens\":1000000000000", 400, "invalid_value"),
                chat("max_tokens is a string", USER + ",\"max_tokens\":\"10\"", 400, "invalid_value"),
                chat("max_tokens is fractional", USER + ",\"max_tokens\":2.5", 400, "invalid_value"),
                chat("temperature is a string", USER + ",\"temperature\":\"NaN\"", 400, "invalid_value"),
                chat("temperature overflows to infinity", USER + ",\"temperature\":1e400", 400, "invalid_value"),
                chat("temperature out of range", USER + ",\"temperature\":5", 400, "invalid_value"),
                chat("top_p zero", USER + ",\"top_p\":0", 400, "invalid_value"),
                chat("n zero", USER + ",\"n\":0", 400, "invalid_value"),
                chat("n over the limit", USER + ",\"n\":1000", 400, "invalid_value"),
                chat("five stop strings", USER + ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]", 400, "invalid_value"),
                chat("stop is a number", USER + ",\"stop\":3", 400, "invalid_value"),
                chat("empty stop string", USER + ",\"stop\":\"\"", 400, "invalid_value"),
                chat("logit_bias key not a token id", USER + ",\"logit_bias\":{\"abc\":1}", 400, "invalid_value"),
                chat("logit_bias token outside the vocabulary", USER + ",\"logit_bias\":{\"999999\":1}", 400, "invalid_value"),
                chat("logit_bias value out of range", USER + ",\"logit_bias\":{\"5\":500}", 400, "invalid_value"),
                chat("top_logprobs over 20", USER + ",\"logprobs\":true,\"top_logprobs\":50", 400, "invalid_value"),
                chat("top_logprobs without logprobs", USER + ",\"top_logprobs\":3", 400, "invalid_value"),
                chat("seed is fractional", USER + ",\"seed\":1.5", 400, "invalid_value"),
                chat("stream is a string", USER + ",\"stream\":\"yes\"", 400, "invalid_value"),
                chat("stream_options not an object", USER + ",\"stream\":true,\"stream_options\":true", 400, "invalid_value"),
                chat("presence_penalty out of range", USER + ",\"presence_penalty\":3", 400, "invalid_value"),
                chat("prompt over the context", "\"messages\":[{\"role\":\"user\",\"content\":\"" + longPrompt + "\"}]", 400, "context_length_exceeded"),
                chat("prompt plus max_tokens over the context", USER + ",\"max_tokens\":" + (TestServer.CONTEXT - 20) + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + "word ".repeat(100) + "\"}]", 400, null),
                chat("response_format unknown type", USER + ",\"response_format\":{\"type\":\"xml\"}", 400, "invalid_value"),
                chat("json_schema without schema", USER + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}}", 400, "invalid_value"),
                chat("invalid schema type", USER + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":5}}}", 400, "invalid_value"),
                chat("tools not an array", USER + ",\"tools\":{\"type\":\"function\"}", 400, "invalid_value"),
                chat("tool without a name", USER + ",\"tools\":[{\"type\":\"function\",\"function\":{}}]", 400, "invalid_value"),
                comp("completion without prompt", "\"max_tokens\":3", 400, "invalid_value"),
                comp("prompt is an object", "\"prompt\":{\"a\":1}", 400, "invalid_value"),
                comp("prompt token id outside the vocabulary", "\"prompt\":[1,2,100000]", 400, "invalid_value"),
                comp("several prompts", "\"prompt\":[\"a\",\"b\"]", 400, "invalid_value"),
                comp("max_tokens 0 without echo", "\"prompt\":\"a\",\"max_tokens\":0", 400, "invalid_value"),
                new Case("oversized body", CHAT, "{\"model\":\"tiny\",\"pad\":\"" + "x".repeat(100_000) + "\"," + USER + "}", KEY, 413, "request_too_large"),
                new Case("no API key", CHAT, "{\"model\":\"tiny\"," + USER + "}", null, 401, "invalid_api_key"),
                new Case("wrong API key", CHAT, "{\"model\":\"tiny\"," + USER + "}", "test-key-124", 401, "invalid_api_key"),
                new Case("unknown endpoint", "/v1/engines", "{}", KEY, 404, null),
                new Case("load an unknown model", "/v1/models/load", "{\"model\":\"../../etc\"}", KEY, 404, "model_not_found"),
                new Case("load without a model", "/v1/models/load", "{}", KEY, 400, "invalid_value"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachBadRequestGetsItsErrorAndTheServerKeepsServing(Case c) {
        TestServer.Reply r = TestServer.post(port, c.path(), c.body(), c.key());
        assertThat(r.status()).as(c.name() + ": " + r.body()).isEqualTo(c.status());
        JsonNode e = r.json().get("error");
        assertThat(e).as("OpenAI error object in " + r.body()).isNotNull();
        assertThat(e.get("message").asText()).isNotBlank();
        assertThat(e.get("type").asText()).isNotBlank();
        assertThat(e.has("param")).isTrue();
        if (c.code() != null) assertThat(e.get("code").asText()).isEqualTo(c.code());
        assertGoodRequestWorks();
    }

    @Test
    void atLeastThirtyCases() {
        assertThat(cases()).hasSizeGreaterThanOrEqualTo(30);
    }

    @Test
    void healthNeedsNoKeyButModelsDo() {
        assertThat(TestServer.get(port, "/health", null).status()).isEqualTo(200);
        assertThat(TestServer.get(port, "/v1/models", null).status()).isEqualTo(401);
        assertThat(TestServer.get(port, "/metrics", null).status()).isEqualTo(401);
        assertThat(TestServer.get(port, "/v1/models", KEY).status()).isEqualTo(200);
    }

    @Test
    void wrongMethodIsAnError() {
        TestServer.Reply r = TestServer.get(port, CHAT, KEY);
        assertThat(r.status()).isIn(404, 405);
        assertThat(r.json().get("error")).isNotNull();
    }

    @Test
    void slowLorisConnectionIsClosedWhileOthersAreServed() throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST " + CHAT + " HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertGoodRequestWorks(); // served while the slow client holds its connection
            s.setSoTimeout(10_000);
            long t0 = System.nanoTime();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            while (in.read(buf) >= 0) { /* drain whatever the server says before it closes */ }
            assertThat((System.nanoTime() - t0) / 1e9).as("closed by the idle timeout").isLessThan(9);
        }
        assertGoodRequestWorks();
    }

    /** A body dripped a byte at a time (each byte resets the 2 s idle timeout) gets a 408 once 2 s have passed. */
    @Test
    void aBodyDrippedSlowlyGetsA408WhileOthersAreServed() throws Exception {
        byte[] body = ("{\"model\":\"tiny\",\"prompt\":\"a\",\"max_tokens\":1}" + " ".repeat(60))
                .getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST " + COMP + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY + "\r\nContent-Type: "
                    + "application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long t0 = System.nanoTime();
            int sent = 0;
            s.setSoTimeout(500);
            InputStream in = s.getInputStream();
            StringBuilder reply = new StringBuilder();
            byte[] buf = new byte[4096];
            while (sent < body.length && System.nanoTime() - t0 < 20_000_000_000L) {
                try {
                    out.write(body[sent++]);
                    out.flush();
                } catch (IOException closed) {
                    break;
                }
                try {
                    int r = in.read(buf); // waits up to 0.5 s: the drip's pace
                    if (r < 0) break;
                    reply.append(new String(buf, 0, r, StandardCharsets.US_ASCII));
                    if (reply.indexOf("}}") > 0) break;
                } catch (java.net.SocketTimeoutException stillWaiting) {
                    // nothing yet
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(reply.toString()).as("after %.1f s and %d of %d bytes", seconds, sent, body.length)
                    .startsWith("HTTP/1.1 408").contains("\"code\":\"request_timeout\"");
            assertThat(sent).isLessThan(body.length);
        }
        assertGoodRequestWorks();
    }

    @Test
    void disconnectMidStreamStopsTheSequence() throws Exception {
        String body = "{\"model\":\"tiny\",\"prompt\":\"once\",\"max_tokens\":200,\"stream\":true,\"temperature\":1,"
                + "\"logit_bias\":{\"2\":-100}}";
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST " + COMP + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[256];
            assertThat(in.read(buf)).isPositive(); // the stream has started
        } // closed mid-stream
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline && tinyScheduler().activeSequences() > 0) Thread.sleep(20);
        assertThat(tinyScheduler().activeSequences()).isZero();
        assertGoodRequestWorks();
    }

    @Test
    void fullQueueAnswers429AndServesTheRest() throws Exception {
        // max batch 1 and queue 1: of many simultaneous long requests, at most two are taken at a time.
        String body = "{\"model\":\"tiny\",\"prompt\":\"once\",\"max_tokens\":180,\"logit_bias\":{\"2\":-100}}";
        int n = 12;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<TestServer.Reply>> replies = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                replies.add(pool.submit(() -> {
                    go.await();
                    return TestServer.post(port, COMP, body, KEY);
                }));
            }
            go.countDown();
            int ok = 0, busy = 0;
            for (Future<TestServer.Reply> f : replies) {
                TestServer.Reply r = f.get();
                if (r.status() == 200) ok++;
                else {
                    assertThat(r.status()).as(r.body()).isEqualTo(429);
                    assertThat(r.json().path("error").path("code").asText()).isEqualTo("queue_full");
                    busy++;
                }
            }
            assertThat(ok).isGreaterThanOrEqualTo(1);
            assertThat(busy).isGreaterThanOrEqualTo(1);
        }
        assertGoodRequestWorks();
    }

    @Test
    void nothingLeaksAcrossHundredsOfBadRequests() throws Exception {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        assertGoodRequestWorks();
        int before = threads.getThreadCount();
        List<Case> all = cases();
        for (int round = 0; round < 4; round++) {
            for (Case c : all) TestServer.post(port, c.path(), c.body(), c.key());
        }
        assertGoodRequestWorks();
        var scheduler = tinyScheduler();
        assertThat(scheduler.activeSequences()).isZero();
        assertThat(scheduler.queueDepth()).isZero();
        assertThat(threads.getThreadCount()).as("platform threads").isLessThanOrEqualTo(before + 4);
    }

    static void assertGoodRequestWorks() {
        TestServer.Reply r = TestServer.post(port, CHAT, "{\"model\":\"tiny\"," + USER + ",\"max_tokens\":3}", KEY);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("choices").get(0).path("message").path("role").asText()).isEqualTo("assistant");
    }

    static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    }
}
