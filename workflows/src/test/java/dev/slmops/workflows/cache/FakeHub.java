package dev.slmops.workflows.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local HTTP server shaped like the Hugging Face hub: the revision listing API and resolve/ downloads with byte
 * ranges, plus faults on demand (a connection cut mid-file, corrupted bytes, a token requirement).
 */
final class FakeHub implements AutoCloseable {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    record Repo(Map<String, byte[]> files, boolean lfsForLarge, String requiredToken) {
    }

    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    /** path -> bytes after which the first response for it is cut. */
    final Map<String, Integer> cutAfter = new ConcurrentHashMap<>();
    /** paths served with one flipped byte (the listing keeps the true digest). */
    final List<String> corrupt = new CopyOnWriteArrayList<>();
    final List<String> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger rangeRequests = new AtomicInteger();
    /** File downloads being served now, and the most at once so far (parallel pulls overlap). */
    final AtomicInteger downloadsInFlight = new AtomicInteger(), mostDownloadsAtOnce = new AtomicInteger();
    /** How long each file download waits before its bytes, so that overlapping downloads show. */
    volatile int downloadDelayMillis;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor); // requests in parallel, as the hub serves them
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void add(String repo, Map<String, byte[]> files, String requiredToken) {
        repos.put(repo, new Repo(new LinkedHashMap<>(files), true, requiredToken));
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        requests.add(ex.getRequestMethod() + " " + ex.getRequestURI() + (ex.getRequestHeaders().containsKey("Range") ? " " + ex.getRequestHeaders().getFirst("Range") : ""));
        try (ex) {
            if (path.startsWith("/api/models/")) {
                String[] p = path.substring("/api/models/".length()).split("/");
                Repo repo = repos.get(p[0] + "/" + p[1]);
                if (repo == null || p.length < 4) {
                    send(ex, 404, "{\"error\":\"Repository not found\"}".getBytes());
                    return;
                }
                if (!authorized(ex, repo)) return;
                send(ex, 200, listing(repo));
                return;
            }
            String[] p = path.substring(1).split("/", 5); // owner, name, "resolve", commit, file
            Repo repo = p.length == 5 && p[2].equals("resolve") ? repos.get(p[0] + "/" + p[1]) : null;
            byte[] data = repo == null ? null : repo.files().get(p[4]);
            if (data == null) {
                send(ex, 404, "Entry not found".getBytes());
                return;
            }
            if (!authorized(ex, repo)) return;
            if (corrupt.contains(p[4])) {
                data = data.clone();
                data[data.length / 2] ^= 0x5A;
            }
            int from = 0;
            String range = ex.getRequestHeaders().getFirst("Range");
            if (range != null) {
                rangeRequests.incrementAndGet();
                from = Integer.parseInt(range.replace("bytes=", "").replace("-", ""));
                if (from >= data.length) {
                    send(ex, 416, new byte[0]);
                    return;
                }
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
            }
            int now = downloadsInFlight.incrementAndGet();
            mostDownloadsAtOnce.accumulateAndGet(now, Math::max);
            try {
                if (downloadDelayMillis > 0) Thread.sleep(downloadDelayMillis);
                sendFile(ex, p[4], data, from, range != null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                downloadsInFlight.decrementAndGet();
            }
        } catch (IOException e) {
            // the connection was cut on purpose or by the client
        }
    }

    private void sendFile(HttpExchange ex, String file, byte[] data, int from, boolean ranged) throws IOException {
        Integer cut = cutAfter.remove(file);
        ex.sendResponseHeaders(ranged ? 206 : 200, data.length - from);
        OutputStream out = ex.getResponseBody();
        if (cut != null) {
            out.write(data, from, cut);
            out.flush();
            throw new IOException("cut on purpose"); // closes the exchange before the promised length
        }
        out.write(data, from, data.length - from);
    }

    private boolean authorized(HttpExchange ex, Repo repo) throws IOException {
        if (repo.requiredToken() == null) return true;
        if (("Bearer " + repo.requiredToken()).equals(ex.getRequestHeaders().getFirst("Authorization"))) return true;
        send(ex, 401, "{\"error\":\"Access to model is restricted\"}".getBytes());
        return false;
    }

    private static byte[] listing(Repo repo) throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("sha", COMMIT);
        ArrayNode siblings = root.putArray("siblings");
        for (var e : repo.files().entrySet()) {
            ObjectNode s = siblings.addObject();
            s.put("rfilename", e.getKey());
            s.put("size", e.getValue().length);
            if (e.getValue().length >= 1024) {
                s.put("blobId", "ignored");
                ObjectNode lfs = s.putObject("lfs");
                lfs.put("sha256", digest("SHA-256", null, e.getValue()));
                lfs.put("size", e.getValue().length);
                lfs.put("pointerSize", 134);
            } else {
                s.put("blobId", digest("SHA-1", ("blob " + e.getValue().length + "\0").getBytes(StandardCharsets.US_ASCII), e.getValue()));
            }
        }
        return m.writeValueAsBytes(root);
    }

    static String digest(String alg, byte[] prefix, byte[] data) {
        try {
            MessageDigest md = MessageDigest.getInstance(alg);
            if (prefix != null) md.update(prefix);
            return HexFormat.of().formatHex(md.digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    List<String> downloadsOf(String file) {
        List<String> out = new ArrayList<>();
        for (String r : requests) if (r.contains("/resolve/") && r.contains(file)) out.add(r);
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
