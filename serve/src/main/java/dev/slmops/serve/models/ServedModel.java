package dev.slmops.serve.models;

import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraFiles;
import dev.slmops.serve.api.ApiError;
import dev.slmops.serve.scheduler.Scheduler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loaded model and its decode loop. Requests hold it between {@link ModelManager#acquire} and {@link #release()},
 * so the idle reaper never unloads a model a request is using.
 */
public final class ServedModel implements AutoCloseable {
    private final String name;
    private final LoadedModel model;
    private final Scheduler scheduler;
    private final long loadedAtMillis = System.currentTimeMillis();
    private final AtomicInteger users = new AtomicInteger();
    private volatile long lastUsedNanos = System.nanoTime();
    private final Map<String, LoraAdapter> adapters = new ConcurrentHashMap<>();

    ServedModel(String name, LoadedModel model, Scheduler scheduler) {
        this.name = name;
        this.model = model;
        this.scheduler = scheduler;
    }

    public String name() {
        return name;
    }

    public LoadedModel model() {
        return model;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public long loadedAtMillis() {
        return loadedAtMillis;
    }

    /** A LoRA adapter of this model, read from {@code path} on first use. */
    LoraAdapter adapter(String name, Path path) {
        return adapters.computeIfAbsent(name, n -> {
            try {
                LoraAdapter a = LoraFiles.load(path, model.config());
                a.checkFits(model.config());
                if (!a.savedTensors().isEmpty()) {
                    throw new IllegalArgumentException("it saves whole modules (modules_to_save: "
                            + String.join(", ", a.modulesToSave()) + "), which cannot be swapped in per request: merge it "
                            + "into the base (slmops merge) and serve the result as a model");
                }
                return a;
            } catch (IOException | RuntimeException e) {
                throw new ApiError(500, "server_error", "adapter_load_failed", "model",
                        "The adapter '" + n + "' could not be loaded from its configured file: " + e.getMessage());
            }
        });
    }

    void retain() {
        users.incrementAndGet();
        lastUsedNanos = System.nanoTime();
    }

    /** The request is done with the model. */
    public void release() {
        lastUsedNanos = System.nanoTime();
        users.decrementAndGet();
    }

    boolean idleFor(long nanos) {
        return users.get() == 0 && scheduler.activeSequences() == 0 && scheduler.queueDepth() == 0
                && System.nanoTime() - lastUsedNanos > nanos;
    }

    @Override
    public void close() {
        scheduler.close();
        model.close();
    }
}
