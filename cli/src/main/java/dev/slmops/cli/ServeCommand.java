package dev.slmops.cli;

import dev.slmops.serve.OpenAiServer;
import dev.slmops.serve.ServeOptions;
import dev.slmops.workflows.cache.ModelCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve models over an OpenAI-compatible HTTP API (chat/completions, completions, models).",
                "Binds 127.0.0.1 unless --host says otherwise; requests name models, never paths."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "[NAME=]MODEL",
            description = "A model to serve: a Hugging Face directory, a .gguf file, an alias or a pulled hub id, "
                    + "optionally named (default name: the file or directory name, or the alias / hub id). Repeat for "
                    + "several; the first is the default.")
    List<String> models;

    @Option(names = "--adapter", paramLabel = "MODEL:NAME=PATH",
            description = "A LoRA adapter (PEFT directory or GGUF LoRA file) for a served model; requests select it "
                    + "as \"model\": \"MODEL:NAME\" (or \"adapter\": \"NAME\"). Repeatable.")
    List<String> adapters = List.of();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Interface to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = {"-p", "--port"}, defaultValue = "8080", description = "TCP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on every endpoint but /health "
            + "(default: the SLMOPS_API_KEY environment variable; none if unset).")
    String apiKey;

    @Option(names = "--max-batch", defaultValue = "8", description = "Sequences decoded together per model (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--queue", defaultValue = "64", description = "Sequences waiting per model before 429 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--ttl", defaultValue = "15m", description = "Unload a model idle this long: 30s, 15m, 1h, 0 = never (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = {"-c", "--ctx"}, defaultValue = "0", description = "Context length per model (default: the model's, at most 4096).")
    int ctx;

    @Option(names = "--kv-type", defaultValue = "f32", description = "KV cache element type of every sequence: f32 (default) "
            + "or f16 (half the memory, llama-server's default).")
    String kvType;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", description = "Compute threads per model (default: all cores).")
    int threads;

    @Option(names = "--max-tokens", defaultValue = "4096", description = "Largest max_tokens a request may ask for (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--max-body", defaultValue = "4194304", description = "Largest request body in bytes (default: ${DEFAULT-VALUE}).")
    long maxBody;

    @Option(names = "--idle-timeout", defaultValue = "30s", description = "Close connections silent this long (default: ${DEFAULT-VALUE}).")
    String idleTimeout;

    @Option(names = "--lazy", description = "Load even the default model on first use instead of at start.")
    boolean lazy;

    @Option(names = "--no-warmup", description = "Skip the warm-up run at load (a few throwaway decode passes, as "
            + "llama-server runs one, so that the first request does not wait for the JIT to compile the kernels).")
    boolean noWarmup;

    @Option(names = "--no-cache", description = "Serve only the --model models; by default requests may also name "
            + "the model cache's aliases and pulled hub ids (never a path).")
    boolean noCache;

    @Override
    public Integer call() throws Exception {
        String key = apiKey != null ? apiKey : System.getenv("SLMOPS_API_KEY");
        Map<String, Path> all = modelMap(models);
        for (String spec : adapters) {
            int eq = spec.indexOf('='), colon = spec.indexOf(':');
            if (eq < 0 || colon < 1 || colon > eq - 2) {
                throw new IllegalArgumentException("--adapter " + spec + ": expected MODEL:NAME=PATH");
            }
            String base = spec.substring(0, colon);
            if (!all.containsKey(base)) {
                throw new IllegalArgumentException("--adapter " + spec + ": no --model is named '" + base + "'");
            }
            Path p = Path.of(spec.substring(eq + 1));
            if (!Files.exists(p)) {
                throw new IllegalArgumentException("--adapter " + spec + ": " + p + " does not exist (expected a PEFT "
                        + "adapter directory or a GGUF LoRA file)");
            }
            if (dev.slmops.model.format.peft.PeftAdapterFiles.isAdapterDir(p)) {
                List<String> saved = dev.slmops.model.format.peft.PeftAdapterFiles.modulesToSave(p);
                if (!saved.isEmpty()) {
                    throw new IllegalArgumentException("--adapter " + spec + ": the adapter saves whole modules "
                            + "(modules_to_save: " + String.join(", ", saved) + "), which a server applying adapters per "
                            + "request cannot swap in; merge it (slmops merge --model " + all.get(base) + " --adapter " + p
                            + " --output DIR) and serve DIR as a model, or use generate/chat --adapter");
                }
            }
            all.put(spec.substring(0, eq), p);
        }
        ServeOptions o = new ServeOptions(all, host, port, key, maxBatch, queue, duration("--ttl", ttl),
                ctx, threads, maxBody, maxTokens, 8, 256, duration("--idle-timeout", idleTimeout),
                noCache ? null : ModelCache.defaultCache().root(), dev.slmops.model.engine.KvCache.Type.parse(kvType),
                !noWarmup);
        OpenAiServer server;
        try {
            server = OpenAiServer.start(o);
        } catch (RuntimeException e) { // Jetty's bind failure: port in use, no such interface, no permission
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage()
                    + " (choose another --port or --host)", e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        if (!lazy) server.models().load(server.models().defaultModel());
        boolean loopback = InetAddress.getByName(host).isLoopbackAddress();
        dev.slmops.tensor.parallel.JitSettings.warning().ifPresent(w -> System.err.println("warning: " + w));
        System.err.printf(Locale.ROOT, "slmops serve: http://%s:%d/v1  models: %s%s%n", host, server.port(),
                String.join(", ", o.models().keySet()), key == null ? "" : "  (API key required)");
        if (!loopback && key == null) {
            System.err.println("warning: listening on " + host + " without an API key: anyone who can reach this port "
                    + "can use the models (set --api-key or SLMOPS_API_KEY)");
        }
        stopped.await();
        return 0;
    }

    /**
     * "NAME=MODEL" or "MODEL", where MODEL is a path, an alias or a pulled hub id (as every command takes it); a
     * path is named after its file without .gguf (or its directory), an alias or hub id after itself.
     */
    static Map<String, Path> modelMap(List<String> specs) throws IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            String model = eq > 0 ? spec.substring(eq + 1) : spec;
            Path path;
            try {
                path = Models.resolve(model);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--model " + spec + ": " + e.getMessage());
            }
            String name = eq > 0 ? spec.substring(0, eq) : Files.exists(Path.of(model)) ? defaultName(path) : model;
            if (name.isEmpty() || (eq > 0 && name.contains(":"))) {
                throw new IllegalArgumentException("model name '" + name + "' must be non-empty and without ':' "
                        + "(':' separates a model from its adapter)");
            }
            if (out.put(name, path) != null) {
                throw new IllegalArgumentException("two models are named '" + name + "': name them with NAME=PATH");
            }
        }
        return out;
    }

    static String defaultName(Path path) {
        Path f = path.toAbsolutePath().normalize().getFileName();
        String n = f == null ? "model" : f.toString();
        return n.toLowerCase(Locale.ROOT).endsWith(".gguf") ? n.substring(0, n.length() - 5) : n;
    }

    /** 30s, 15m, 2h, 500ms, or 0. */
    static Duration duration(String option, String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.equals("0")) return Duration.ZERO;
            if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            long v = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(v);
                case 'm' -> Duration.ofMinutes(v);
                case 'h' -> Duration.ofHours(v);
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException(option + " " + s + ": expected a duration like 30s, 15m, 1h or 0");
        }
    }
}
