package dev.slmops.serve;

import dev.slmops.serve.scheduler.Scheduler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that closes its connection while its reply is computed, its sequences must stop: NON-streamed, where
 * nothing is written to it until the reply is whole, so only the server's probe of the connection can notice; and
 * streamed, where the next write fails. Each request asks for 8 choices of 1000 tokens, run one after another (max
 * batch 1), so a request that went on to the end would generate all 8000 (~2 s here: the tiny model decodes a
 * token in a fraction of a millisecond, so the probe's 50 ms matter).
 */
class ClientDisconnectTest {
    static OpenAiServer server;
    static int port;

    @BeforeAll
    static void start() {
        ServeOptions o = TestServer.options();
        // max batch 1: the n choices of a request run one after another, so a request lasts long enough to leave.
        server = OpenAiServer.start(new ServeOptions(o.models(), o.host(), 0, null, 1, 16, o.idleTtl(), 0, 1,
                64 * 1024, TOKENS, 8, 64, Duration.ofSeconds(30), null));
        port = server.port();
        assertThat(TestServer.post(port, "/v1/models/load", "{\"model\":\"tiny\"}", null).status()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static Scheduler tiny() {
        return server.models().loadedModels().stream().filter(m -> m.name().equals("tiny")).findFirst()
                .orElseThrow().scheduler();
    }

    static final int TOKENS = 1000;
    static final String BODY = "{\"model\":\"tiny\",\"prompt\":\"once\",\"max_tokens\":" + TOKENS + ",\"n\":8,\"temperature\":1,"
            + "\"seed\":11,\"logit_bias\":{\"509\":-100,\"510\":-100,\"511\":-100}"; // no special token ends a choice

    @Test
    void closingTheConnectionStopsANonStreamedGeneration() throws Exception {
        String body = BODY + "}";
        TestServer.Reply whole = TestServer.post(port, "/v1/completions", body, null); // read to the end
        assertThat(whole.status()).as(whole.body()).isEqualTo(200);
        long wholeTokens = whole.json().at("/usage/completion_tokens").asLong();
        assertThat(wholeTokens).as("8 choices of " + TOKENS + " tokens").isEqualTo(8 * TOKENS);
        leaveDuring(body, false, wholeTokens);
    }

    @Test
    void closingTheConnectionStopsAStreamedGeneration() throws Exception {
        leaveDuring(BODY + ",\"stream\":true}", true, 8 * TOKENS);
    }

    /** A streamed request that waits in the queue behind another and whose client leaves there never runs. */
    @Test
    void aStreamedRequestLeftInTheQueueNeverRuns() throws Exception {
        Scheduler tiny = tiny();
        long before = tiny.generatedTokens();
        var first = Thread.ofVirtual().start(() -> TestServer.post(port, "/v1/completions", BODY + "}", null));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline && tiny.generatedTokens() == before) Thread.sleep(1);
        try (Socket s = new Socket("127.0.0.1", port)) { // queued behind the first (max batch 1)
            byte[] b = (BODY + ",\"stream\":true}").getBytes(StandardCharsets.UTF_8);
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(b);
            s.getOutputStream().flush();
            assertThat(s.getInputStream().read(new byte[256])).as("the stream's headers").isPositive();
            assertThat(tiny.queueDepth()).as("waiting behind the first request").isPositive();
        }
        first.join();
        deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline && (tiny.activeSequences() > 0 || tiny.queueDepth() > 0)) Thread.sleep(5);
        assertThat(tiny.generatedTokens() - before).as("only the first request's tokens").isEqualTo(8 * TOKENS);
    }

    /** Sends {@code body}, closes the connection once generation has started; then fewer than half the tokens ran. */
    static void leaveDuring(String body, boolean streamed, long wholeTokens) throws Exception {
        Scheduler tiny = tiny();
        long before = tiny.generatedTokens();
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            if (streamed) assertThat(s.getInputStream().read(new byte[256])).as("the stream has started").isPositive();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline && tiny.generatedTokens() == before) Thread.sleep(1);
            assertThat(tiny.generatedTokens()).as("generation started").isGreaterThan(before);
        } // closed while the reply is computed
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline && (tiny.activeSequences() > 0 || tiny.queueDepth() > 0)) Thread.sleep(5);
        assertThat(tiny.activeSequences()).isZero();
        assertThat(tiny.queueDepth()).isZero();
        long generated = tiny.generatedTokens() - before;
        System.out.println("client gone (" + (streamed ? "streamed" : "not streamed") + "): " + generated + " of "
                + wholeTokens + " tokens generated");
        assertThat(generated).as("tokens generated for a client that left").isLessThan(wholeTokens / 2);

        TestServer.Reply after = TestServer.post(port, "/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"hi\","
                + "\"max_tokens\":4}", null);
        assertThat(after.status()).as(after.body()).isEqualTo(200);
    }
}
