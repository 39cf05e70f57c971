package dev.slmops.serve;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.serve.api.ApiError;
import dev.slmops.serve.api.GenerationRequest;
import dev.slmops.serve.api.Generations;
import dev.slmops.serve.api.JsonResponseFormats;
import dev.slmops.serve.api.ResponseFormats;
import dev.slmops.serve.models.CachedModels;
import dev.slmops.serve.models.ModelManager;
import dev.slmops.workflows.cache.ModelCache;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;

/**
 * The OpenAI-compatible HTTP server: Javalin (Jetty 12) on virtual threads for I/O, one decode loop per model for
 * compute. Every failure a client can cause is answered with a 4xx and OpenAI's error object.
 */
public final class OpenAiServer implements AutoCloseable {
    /** Paths counted by name in the request metrics (anything else is "other": clients cannot add label values). */
    private static final Set<String> ENDPOINTS = Set.of("/v1/chat/completions", "/v1/completions", "/v1/models",
            "/v1/models/load", "/v1/models/unload", "/health", "/metrics");

    private final ServeOptions options;
    private final ObjectMapper json;
    private final ServerMetrics metrics = new ServerMetrics();
    private final ModelManager models;
    private final Generations generations;
    private final byte[] apiKey;
    private final Javalin app;
    /** Bounds the old generation under Serial/Parallel (see HeapGuard); set once the server runs. */
    private volatile HeapGuard heapGuard;

    private OpenAiServer(ServeOptions options, ResponseFormats.Provider formats) {
        this.options = options;
        JsonFactory jf = JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxStringLength((int) Math.min(Integer.MAX_VALUE, options.maxBodyBytes()))
                .build()).build();
        this.json = new ObjectMapper(jf).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        CachedModels cached = options.modelCache() == null ? null
                : new CachedModels(new ModelCache(options.modelCache()));
        this.models = new ModelManager(options.models(), cached, new ModelManager.Settings(options.contextLength(),
                options.threads(), options.maxBatch(), options.maxQueue(), options.prefillRowsPerStep(),
                options.idleTtl(), options.kvType(), options.warmUp()), metrics);
        metrics.watch(models);
        this.generations = new Generations(models, new GenerationRequest.Limits(options.maxTokensCap(), options.maxN()),
                formats);
        this.apiKey = options.apiKey() == null ? null : options.apiKey().getBytes(StandardCharsets.UTF_8);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.jetty.host = options.host();
            config.jetty.port = options.port();
            config.http.maxRequestSize = options.maxBodyBytes();
            config.jetty.modifyServer(server -> server.addEventListener(new org.eclipse.jetty.util.component.LifeCycle.Listener() {
                @Override
                public void lifeCycleStarting(org.eclipse.jetty.util.component.LifeCycle event) {
                    for (Connector c : server.getConnectors()) {
                        if (c instanceof ServerConnector sc) sc.setIdleTimeout(options.idleTimeout().toMillis());
                    }
                }
            }));
            config.routes.before(this::authorize);
            config.routes.post("/v1/chat/completions", ctx -> generate(ctx, true));
            config.routes.post("/v1/completions", ctx -> generate(ctx, false));
            config.routes.get("/v1/models", this::listModels);
            config.routes.get("/v1/models/{id}", this::retrieveModel);
            config.routes.post("/v1/models/load", ctx -> loadOrUnload(ctx, true));
            config.routes.post("/v1/models/unload", ctx -> loadOrUnload(ctx, false));
            config.routes.get("/health", ctx -> ctx.json(json.createObjectNode().put("status", "ok")));
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
            config.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, fromStatus(e.getStatus(),
                    e.getMessage(), ctx)));
            config.routes.exception(Exception.class, (e, ctx) -> error(ctx,
                    ApiError.internal("the server failed on this request: " + e)));
            config.routes.error(404, ctx -> {
                String result = ctx.result();
                if (!ctx.res().isCommitted() && (result == null || !result.startsWith("{"))) {
                    error(ctx, ApiError.notFound(ctx.method() + " " + ctx.path()));
                }
            });
            config.routes.error(405, ctx -> error(ctx, new ApiError(405, "invalid_request_error", "method_not_allowed",
                    null, ctx.method() + " is not allowed on " + ctx.path())));
            config.routes.after(ctx -> metrics.request(ENDPOINTS.contains(ctx.path()) ? ctx.path() : "other",
                    ctx.statusCode()));
        });
    }

    /** Starts serving; {@link #port()} tells the port when options asked for 0. */
    public static OpenAiServer start(ServeOptions options) {
        return start(options, new JsonResponseFormats());
    }

    public static OpenAiServer start(ServeOptions options, ResponseFormats.Provider formats) {
        // Jetty logs every start at INFO through slf4j-simple; the server's own output is enough.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        OpenAiServer s = new OpenAiServer(options, formats);
        s.app.start();
        s.heapGuard = HeapGuard.startIfNeeded().orElse(null);
        return s;
    }

    public int port() {
        return app.port();
    }

    public ModelManager models() {
        return models;
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    private void authorize(Context ctx) {
        if (apiKey == null || ctx.path().equals("/health")) return;
        String h = ctx.header("Authorization");
        byte[] given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)
                ? h.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(given, apiKey)) throw ApiError.unauthorized(); // constant time
    }

    /**
     * The idle timeout guards the connection while the server waits for the client (slow-loris); once the request
     * is read, the client waits for the server, and a long non-streamed generation must not be cut by it. So it is
     * lifted to {@link #COMPUTING_IDLE_TIMEOUT_MS} while generating and put back for the keep-alive wait after.
     */
    private void generate(Context ctx, boolean chat) throws Exception {
        JsonNode body = readJson(ctx);
        setIdleTimeout(ctx, COMPUTING_IDLE_TIMEOUT_MS);
        try {
            if (chat) generations.chat(body, response(ctx));
            else generations.completion(body, response(ctx));
        } finally {
            setIdleTimeout(ctx, options.idleTimeout().toMillis());
        }
    }

    /** An hour: far beyond any generation max_tokens allows at a few tokens per second. */
    static final long COMPUTING_IDLE_TIMEOUT_MS = 3_600_000;

    private static void setIdleTimeout(Context ctx, long millis) {
        try {
            ServletContextRequest r = ServletContextRequest.getServletContextRequest(ctx.req());
            if (r != null) r.getConnectionMetaData().getConnection().getEndPoint().setIdleTimeout(millis);
        } catch (RuntimeException e) {
            // not served by Jetty's servlet layer (cannot happen with Javalin 7): keep the connector's timeout
        }
    }

    /**
     * The body as JSON, read with the size cap (also for bodies without a Content-Length). An oversized body is still
     * read and discarded up to {@link #drainCap} before the 413 goes out: a server that answers and closes while the
     * client is still sending makes the client's TCP stack reset the connection, and the client then never sees the
     * 413 (HTTP clients report "no bytes received"). Beyond the drain cap the connection is given up.
     */
    private JsonNode readJson(Context ctx) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (InputStream in = ctx.req().getInputStream()) {
            if (declared > options.maxBodyBytes()) {
                if (declared <= drainCap()) drain(in, declared);
                throw ApiError.tooLarge(options.maxBodyBytes());
            }
            // A client that drips the body a byte at a time resets the idle timeout with every byte: the whole body
            // must come within the idle timeout, or at MIN_BODY_BYTES_PER_S for a large one.
            long start = System.nanoTime();
            long allowed = Math.max(options.idleTimeout().toNanos(),
                    (declared > 0 ? declared : options.maxBodyBytes()) * 1_000_000_000L / MIN_BODY_BYTES_PER_S);
            byte[] b = new byte[8192];
            int r;
            while ((r = in.read(b)) > 0) {
                buf.write(b, 0, r);
                long elapsed = System.nanoTime() - start;
                if (elapsed > allowed) throw ApiError.tooSlow(buf.size(), Math.round(elapsed / 1e9));
                if (buf.size() > options.maxBodyBytes()) {
                    drain(in, drainCap() - buf.size());
                    throw ApiError.tooLarge(options.maxBodyBytes());
                }
            }
        }
        if (buf.size() == 0) throw ApiError.invalidJson("The request body is empty; send a JSON object");
        try {
            return json.readTree(buf.toByteArray());
        } catch (IOException e) {
            String m = e.getMessage();
            int nl = m == null ? -1 : m.indexOf('\n');
            throw ApiError.invalidJson("The request body is not valid JSON: " + (nl > 0 ? m.substring(0, nl) : m));
        }
    }

    /** The slowest a large request body may arrive (a body of up to idle timeout x this has the idle timeout). */
    static final long MIN_BODY_BYTES_PER_S = 16 * 1024;

    /** Bytes of an oversized body read and dropped before its 413: four times the cap, at least 1 MiB. */
    private long drainCap() {
        return Math.max(1L << 20, 4 * options.maxBodyBytes());
    }

    /** Reads and drops up to {@code limit} bytes of {@code in} (stops early at its end). */
    private static void drain(InputStream in, long limit) throws IOException {
        byte[] b = new byte[8192];
        long left = limit;
        int r;
        while (left > 0 && (r = in.read(b, 0, (int) Math.min(b.length, left))) > 0) left -= r;
    }

    private Generations.Response response(Context ctx) {
        return new Generations.Response() {
            @Override
            public void json(int status, JsonNode body) {
                ctx.status(status).contentType("application/json").result(body.toString());
            }

            @Override
            public OutputStream openEventStream() throws IOException {
                ctx.status(200);
                ctx.res().setContentType("text/event-stream; charset=utf-8");
                ctx.res().setHeader("Cache-Control", "no-cache");
                ctx.res().setHeader("X-Accel-Buffering", "no");
                OutputStream os = ctx.res().getOutputStream();
                ctx.res().flushBuffer();
                return os;
            }

            @Override
            public boolean clientGone() {
                return ClientConnection.closed(ctx);
            }
        };
    }

    private void listModels(Context ctx) {
        ObjectNode body = json.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (ModelManager.Entry e : models.entries()) modelObject(data.addObject(), e);
        for (String a : models.adapterNames()) {
            data.addObject().put("id", a).put("object", "model").put("created", 0).put("owned_by", "slmops")
                    .put("parent", a.substring(0, a.indexOf(':')));
        }
        ctx.json(body);
    }

    /** GET /v1/models/{id}: one model object, or 404 model_not_found. */
    private void retrieveModel(Context ctx) {
        String id = ctx.pathParam("id");
        for (ModelManager.Entry e : models.entries()) {
            if (e.name().equals(id)) {
                ctx.json(modelObject(json.createObjectNode(), e));
                return;
            }
        }
        throw ApiError.unknownModel(id);
    }

    private static ObjectNode modelObject(ObjectNode m, ModelManager.Entry e) {
        m.put("id", e.name());
        m.put("object", "model");
        m.put("created", e.loaded() ? e.loadedAtMillis() / 1000 : 0);
        m.put("owned_by", "slmops");
        m.put("loaded", e.loaded());
        return m;
    }

    private void loadOrUnload(Context ctx, boolean load) throws IOException {
        JsonNode body = readJson(ctx);
        if (!body.isObject() || !body.path("model").isTextual()) {
            throw ApiError.invalid("model", "send {\"model\": \"<name>\"}; GET /v1/models lists the names");
        }
        String name = body.get("model").asText();
        ObjectNode out = json.createObjectNode().put("id", name);
        if (load) {
            models.load(name);
            out.put("loaded", true);
        } else {
            out.put("unloaded", models.unload(name));
            out.put("loaded", false);
        }
        ctx.json(out);
    }

    private void error(Context ctx, ApiError e) {
        if (ctx.res().isCommitted()) return; // a stream already started: nothing more can be said in HTTP
        ctx.status(e.status()).contentType("application/json").result(e.toJson().toString());
    }

    private static ApiError fromStatus(int status, String message, Context ctx) {
        return switch (status) {
            case 413 -> new ApiError(413, "invalid_request_error", "request_too_large", null,
                    "The request body is too large");
            case 404 -> ApiError.notFound(ctx.method() + " " + ctx.path());
            default -> new ApiError(status, status >= 500 ? "server_error" : "invalid_request_error", null, null,
                    message == null || message.isEmpty() ? "HTTP " + status : message);
        };
    }

    @Override
    public void close() {
        if (heapGuard != null) heapGuard.close();
        app.stop();
        models.close();
    }
}
