package dev.slmops.serve.models;

import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.serve.api.ApiError;
import dev.slmops.serve.scheduler.Scheduler;
import dev.slmops.serve.scheduler.StepObserver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models this server may run, by name: each name maps to a path given at start (a Hugging Face directory or a
 * .gguf file). A request names a model, never a path, so no file a client chooses is ever opened. Models load on
 * first use (or on POST /v1/models/load), and unload after an idle TTL (or on POST /v1/models/unload).
 *
 * <p>{@code "base:adapter"} names a LoRA adapter (PEFT directory or GGUF LoRA file) configured for a base model: it
 * runs on the base's weights without merging, per sequence, so one batch may mix adapters. An adapter that is not
 * configured is answered with 404 adapter_not_found.
 */
public final class ModelManager implements AutoCloseable {

    /** How each model is loaded and scheduled. */
    public record Settings(int contextLength, int threads, int maxBatch, int maxQueue, int prefillRowsPerStep,
                           Duration idleTtl, dev.slmops.model.engine.KvCache.Type kvType, boolean warmUp) {
        public Settings(int contextLength, int threads, int maxBatch, int maxQueue, int prefillRowsPerStep,
                        Duration idleTtl, dev.slmops.model.engine.KvCache.Type kvType) {
            this(contextLength, threads, maxBatch, maxQueue, prefillRowsPerStep, idleTtl, kvType, false);
        }
    }

    /** A configured model and whether it is loaded now. */
    public record Entry(String name, Path path, boolean loaded, long loadedAtMillis) {
    }

    private final Map<String, Path> configured; // guarded by itself: cache models join on first use
    private final Map<String, Path> adapters;   // "base:adapter" -> PEFT directory or GGUF LoRA file
    private final CachedModels cached;           // null: only the configured models
    private final Settings settings;
    private final StepObserver observer;
    private final Map<String, ServedModel> loaded = new ConcurrentHashMap<>();
    private final Map<String, Object> loadLocks = new ConcurrentHashMap<>();
    private final Thread reaper;
    private volatile boolean closed;

    /** @param cached aliases and pulled models of the model cache a request may also name (null: none) */
    public ModelManager(Map<String, Path> configured, CachedModels cached, Settings settings, StepObserver observer) {
        if (configured.isEmpty()) throw new IllegalArgumentException("no models configured: give at least one --model");
        Map<String, Path> bases = new LinkedHashMap<>(), loras = new LinkedHashMap<>();
        for (var e : configured.entrySet()) {
            int colon = e.getKey().indexOf(':');
            if (colon < 0) {
                bases.put(e.getKey(), e.getValue());
            } else if (!configured.containsKey(e.getKey().substring(0, colon))) {
                throw new IllegalArgumentException("adapter " + e.getKey() + " names no configured model '"
                        + e.getKey().substring(0, colon) + "'");
            } else {
                loras.put(e.getKey(), e.getValue());
            }
        }
        if (bases.isEmpty()) throw new IllegalArgumentException("no models configured: give at least one --model");
        this.configured = Collections.synchronizedMap(bases);
        this.adapters = Map.copyOf(loras);
        this.cached = cached;
        this.settings = settings;
        this.observer = observer;
        for (String name : configured.keySet()) loadLocks.put(name, new Object());
        this.reaper = settings.idleTtl().isZero() || settings.idleTtl().isNegative() ? null
                : Thread.ofVirtual().name("slmops-model-reaper").start(this::reapIdle);
    }

    /** The first configured model: used when a request leaves {@code model} out. */
    public String defaultModel() {
        synchronized (configured) {
            return configured.keySet().iterator().next();
        }
    }

    /** The configured models, then the cache's aliases and pulled models (path null until first used). */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        synchronized (configured) {
            for (var e : configured.entrySet()) {
                ServedModel m = loaded.get(e.getKey());
                out.add(new Entry(e.getKey(), e.getValue(), m != null, m == null ? 0 : m.loadedAtMillis()));
            }
        }
        if (cached != null) {
            for (String name : cached.names()) {
                if (!configured.containsKey(name)) out.add(new Entry(name, null, false, 0));
            }
        }
        return out;
    }

    public List<ServedModel> loadedModels() {
        return List.copyOf(loaded.values());
    }

    /** The model for a request's {@code model} field, loaded if needed; call {@link ServedModel#release()} after. */
    public ServedModel acquire(String requested) {
        String name = resolve(requested);
        ServedModel m = load(name);
        m.retain();
        return m;
    }

    /**
     * The LoRA adapter a request's model name selects ("base:adapter"), loaded on first use and kept with its base
     * model; null for the base model itself. Call after {@link #acquire} with the same name.
     */
    public LoraAdapter adapter(ServedModel base, String requested) {
        if (requested == null || !adapters.containsKey(requested)) return null;
        return base.adapter(requested, adapters.get(requested));
    }

    /** The configured adapters' names ("base:adapter"). */
    public List<String> adapterNames() {
        return List.copyOf(adapters.keySet());
    }

    /** Loads a configured model now (no-op when loaded). */
    public ServedModel load(String requested) {
        String name = resolve(requested);
        ServedModel m = loaded.get(name);
        if (m != null) return m;
        synchronized (loadLocks.computeIfAbsent(name, k -> new Object())) {
            m = loaded.get(name);
            if (m != null) return m;
            if (closed) throw new ApiError(503, "server_error", "shutting_down", null, "The server is shutting down");
            Path path = configured.get(name);
            LoadedModel lm;
            try {
                lm = LoadedModel.load(path, new LoadedModel.Options(settings.contextLength(), settings.threads()));
            } catch (Exception e) {
                throw new ApiError(500, "server_error", "model_load_failed", "model",
                        "The model '" + name + "' could not be loaded: " + e.getMessage());
            }
            try {
                // the batch the scheduler will run (up to 4 sequences: enough for the batched kernels to compile)
                if (settings.warmUp()) lm.warmUp(Math.max(1, Math.min(4, settings.maxBatch())), settings.kvType());
            } catch (RuntimeException e) {
                lm.close();
                throw new ApiError(500, "server_error", "model_load_failed", "model",
                        "The model '" + name + "' loaded but its warm-up run failed: " + e.getMessage());
            }
            Scheduler scheduler = new Scheduler(name, lm.transformer(), lm.pool(), lm.tokenizer(), lm.contextLength(),
                    settings.maxBatch(), settings.maxQueue(), settings.prefillRowsPerStep(), settings.kvType(), observer);
            m = new ServedModel(name, lm, scheduler);
            loaded.put(name, m);
            return m;
        }
    }

    /** Unloads a model (its running requests fail with 503); false when it was not loaded. */
    public boolean unload(String requested) {
        String name = resolve(requested);
        ServedModel m;
        synchronized (loadLocks.get(name)) {
            m = loaded.remove(name);
        }
        if (m == null) return false;
        m.close();
        return true;
    }

    /**
     * A configured name, or an alias / pulled hub id of the cache (which then joins the configured ones);
     * "base:adapter" resolves to its base when the adapter is configured, else 404 adapter_not_found.
     */
    String resolve(String requested) {
        if (requested == null || requested.isEmpty()) return defaultModel();
        if (configured.containsKey(requested)) return requested;
        if (cached != null) {
            Optional<Path> p = cached.find(requested);
            if (p.isPresent()) {
                configured.putIfAbsent(requested, p.get());
                loadLocks.putIfAbsent(requested, new Object());
                return requested;
            }
        }
        int colon = requested.lastIndexOf(':');
        if (colon > 0 && adapters.containsKey(requested)) return requested.substring(0, colon);
        if (colon > 0 && configured.containsKey(requested.substring(0, colon))) {
            throw new ApiError(404, "invalid_request_error", "adapter_not_found", "model",
                    "The adapter '" + requested.substring(colon + 1) + "' is not configured for model '"
                            + requested.substring(0, colon) + "'");
        }
        throw ApiError.unknownModel(requested);
    }

    private void reapIdle() {
        long ttl = settings.idleTtl().toNanos();
        long tick = Math.max(200, Math.min(30_000, settings.idleTtl().toMillis() / 4));
        while (!closed) {
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
            for (ServedModel m : loaded.values()) {
                if (m.idleFor(ttl)) {
                    synchronized (loadLocks.get(m.name())) {
                        if (!m.idleFor(ttl) || loaded.get(m.name()) != m) continue;
                        loaded.remove(m.name());
                    }
                    m.close();
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (reaper != null) reaper.interrupt();
        for (String name : List.copyOf(loaded.keySet())) unload(name);
    }
}
