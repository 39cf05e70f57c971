package dev.slmops.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** A tiny random model (made with ModelInit, no download) and an HTTP client for the server under test. */
final class TestServer {
    static final ObjectMapper JSON = new ObjectMapper();
    private static Path tinyModel;

    private TestServer() {
    }

    /** Context of the test model: room for the tool instructions a ChatML template needs (~250 of its tokens). */
    static final int CONTEXT = 1024;

    /** tiny-llama (2 layers, 512 tokens) with a 1024-token context and a BPE tokenizer trained on the built-in corpus. */
    static synchronized Path tinyModel() {
        if (tinyModel != null) return tinyModel;
        Path dir = Path.of("target", "test-models", "tiny-llama-" + CONTEXT).toAbsolutePath();
        try {
            if (!Files.exists(dir.resolve("config.json"))) {
                var config = ModelInit.shapeConfig("tiny-llama").put("max_position_embeddings", CONTEXT);
                TokenizerForInit.writeModel(new ModelInit.Options(config, DType.F32, 7, 0.1), null, dir, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return tinyModel = dir;
    }

    static ServeOptions options() {
        return ServeOptions.defaults(Map.of("tiny", tinyModel())).withPort(0);
    }

    record Reply(int status, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    static Reply post(int port, String path, String body, String apiKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        return send(b.build());
    }

    static Reply get(int port, String path, String apiKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60)).GET();
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        return send(b.build());
    }

    static Reply send(HttpRequest r) {
        try {
            HttpResponse<String> resp = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
            return new Reply(resp.statusCode(), resp.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
