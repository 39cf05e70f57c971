package dev.slmops.serve.models;

import dev.slmops.model.load.LoadedModel;
import dev.slmops.serve.scheduler.Scheduler;

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
