package dev.slmops.serve.models;

import dev.slmops.workflows.cache.HubRef;
import dev.slmops.workflows.cache.ModelCache;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The models of the local model cache a request may name besides the configured ones: aliases (made by the
 * operator with `slmops model alias`) and hub ids already pulled. The name is never read as a path: a request can
 * only reach files the operator put in the cache.
 */
public final class CachedModels {
    private final ModelCache cache;

    public CachedModels(ModelCache cache) {
        this.cache = cache;
    }

    /** The model file or directory for {@code name}, if it is an alias or a pulled hub id; never touches the network. */
    public Optional<Path> find(String name) {
        try {
            String target = cache.aliases().get(name);
            if (target != null) return Optional.of(cache.resolve(target));
            if (HubRef.looksLikeHubId(name)) return cache.find(HubRef.parse(name));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // unreadable cache, bad id, several GGUF files: not a model this name can reach
        }
        return Optional.empty();
    }

    /** Aliases and pulled repositories, for GET /v1/models. */
    public List<String> names() {
        List<String> out = new ArrayList<>();
        try {
            out.addAll(cache.aliases().keySet());
            for (ModelCache.Entry e : cache.list()) out.add(e.repo());
        } catch (IOException | RuntimeException e) {
            return out;
        }
        return out;
    }
}
