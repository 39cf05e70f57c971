package dev.slmops.workflows.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.format.JsonFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The Hugging Face hub's HTTP interface, as much of it as pulling a model needs: the file listing of a revision
 * ({@code /api/models/{repo}/revision/{rev}?blobs=true}) and file downloads ({@code /{repo}/resolve/{commit}/{path}})
 * with byte-range resume. The endpoint is {@code HF_ENDPOINT} or https://huggingface.co; a token ({@code HF_TOKEN})
 * is sent as a bearer token.
 */
public final class HubClient {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    /** A revision's listing: the commit it resolves to and its files. */
    public record Listing(String commit, List<HubFile> files) {
    }

    private final URI endpoint;
    private final String token;
    private final HttpClient http;

    public HubClient(String endpoint, String token) {
        String e = endpoint == null || endpoint.isBlank() ? DEFAULT_ENDPOINT : endpoint.strip();
        while (e.endsWith("/")) e = e.substring(0, e.length() - 1);
        try {
            this.endpoint = URI.create(e);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("HF_ENDPOINT '" + endpoint + "' is not a URL: " + ex.getMessage());
        }
        if (this.endpoint.getScheme() == null || !this.endpoint.getScheme().startsWith("http")) {
            throw new IllegalArgumentException("HF_ENDPOINT '" + endpoint + "' must be an http(s) URL");
        }
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    /** From the environment: HF_ENDPOINT and HF_TOKEN. */
    public static HubClient fromEnvironment() {
        return new HubClient(System.getenv("HF_ENDPOINT"), System.getenv("HF_TOKEN"));
    }

    public URI endpoint() {
        return endpoint;
    }

    public Listing list(HubRef ref) throws IOException {
        URI uri = URI.create(endpoint + "/api/models/" + ref.repo() + "/revision/" + encode(ref.revision()) + "?blobs=true");
        HttpResponse<byte[]> r = send(request(uri).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        check(r.statusCode(), ref, null);
        JsonNode root = JsonFiles.parse(r.body(), "the hub's listing of " + ref.repo() + " (from " + endpoint + ")");
        String commit = root.path("sha").asText(null);
        if (commit == null || !commit.matches("[0-9a-fA-F]{7,64}")) {
            throw new IOException("the hub's listing of " + ref.repo() + "@" + ref.revision() + " has no commit id ('sha')");
        }
        List<HubFile> files = new ArrayList<>();
        for (JsonNode s : root.path("siblings")) {
            String name = s.path("rfilename").asText(null);
            if (name == null) continue;
            JsonNode lfs = s.path("lfs");
            String sha256 = lfs.isObject() ? lfs.path("sha256").asText(lfs.path("oid").asText(null)) : null;
            long size = lfs.isObject() && lfs.has("size") ? lfs.path("size").asLong() : s.path("size").asLong(-1);
            files.add(new HubFile(name, size, sha256, lfs.isObject() ? null : s.path("blobId").asText(null)));
        }
        return new Listing(commit, files);
    }

    /**
     * Downloads one file into {@code part}, continuing from its current length with a byte range when it exists.
     * Reports bytes as they arrive. Leaves the partial file in place when the connection breaks (to resume later).
     */
    public void download(HubRef ref, String commit, HubFile file, Path part, LongConsumer progress) throws IOException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (file.size() >= 0 && have > file.size()) {
            Files.delete(part);
            have = 0;
        }
        if (file.size() >= 0 && have == file.size()) return; // complete already; the caller verifies it
        URI uri = URI.create(endpoint + "/" + ref.repo() + "/resolve/" + commit + "/" + encodePath(file.path()));
        HttpRequest.Builder b = request(uri).GET();
        if (have > 0) b.header("Range", "bytes=" + have + "-");
        HttpResponse<InputStream> r = send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            int status = r.statusCode();
            if (status == 416 && have > 0) { // our part is longer than what the server has: start over
                Files.delete(part);
                download(ref, commit, file, part, progress);
                return;
            }
            check(status, ref, file.path());
            boolean append = status == 206;
            if (!append) have = 0;
            progress.accept(have);
            try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    progress.accept(n);
                }
            }
        }
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("User-Agent", "slmops");
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while talking to " + endpoint, e);
        } catch (java.net.ConnectException e) {
            Throwable cause = e.getMessage() != null || e.getCause() == null ? e : e.getCause(); // "null" otherwise
            throw new IOException("cannot reach the hub at " + endpoint + " (" + cause + "); check the network or "
                    + "HF_ENDPOINT, or use models already in the cache (--offline, HF_HUB_OFFLINE=1)", e);
        }
    }

    private void check(int status, HubRef ref, String path) throws IOException {
        if (status == 200 || status == 206) return;
        String what = path == null ? ref.repo() + "@" + ref.revision() : path + " of " + ref.repo();
        throw switch (status) {
            case 401, 403 -> new HubHttpException(status, "the hub refused access to " + what + " (HTTP " + status + "): the repository "
                    + "is private or gated; accept its terms on the hub and set HF_TOKEN to a token that may read it");
            case 404 -> new HubHttpException(status, "the hub has no " + what + " (HTTP 404): check the repository id, file name and revision");
            case 429 -> new HubHttpException(status, "the hub is rate-limiting this client (HTTP 429): wait a minute and pull again (the download resumes)");
            default -> new HubHttpException(status, "the hub answered HTTP " + status + " for " + what);
        };
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String path) {
        StringBuilder sb = new StringBuilder();
        for (String seg : path.split("/")) {
            if (!sb.isEmpty()) sb.append('/');
            sb.append(encode(seg));
        }
        return sb.toString();
    }
}
