package dev.slmops.serve;

import dev.slmops.model.engine.KvCache;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How `slmops serve` runs. Defaults are safe for a laptop: loopback only, bounded bodies, tokens and queue.
 *
 * @param models             name -> Hugging Face directory or .gguf file; the first is the default model. A name
 *                           "base:adapter" maps a LoRA adapter (PEFT directory or GGUF LoRA) of model "base"
 * @param host               interface to bind (127.0.0.1 unless told otherwise)
 * @param port               TCP port (0 = any free port)
 * @param apiKey             required as "Authorization: Bearer KEY" on every endpoint but /health; null = none
 * @param maxBatch           sequences decoded together per model
 * @param maxQueue           sequences waiting per model before 429
 * @param idleTtl            unload a model unused this long (zero = never)
 * @param contextLength      tokens of context per model (0 = the model's, capped at 4096)
 * @param threads            compute threads per model (0 = all processors)
 * @param maxBodyBytes       largest request body accepted (413 beyond)
 * @param maxTokensCap       largest max_tokens accepted, and the default when a request leaves it out
 * @param maxN               largest n (choices per request)
 * @param prefillRowsPerStep prompt tokens prefilled per decode step
 * @param idleTimeout        a connection silent this long is closed (slow clients cannot hold threads forever)
 * @param modelCache         root of the model cache whose aliases and pulled models requests may also name
 *                           (null: only the configured models)
 * @param kvType             element type of the sequences' KV caches (F32; F16 halves their memory, as llama-server's
 *                           default)
 * @param warmUp             run each model once on throwaway sequences when it loads, so that the first request does
 *                           not wait for the JIT ({@link dev.slmops.model.load.LoadedModel#warmUp}; `slmops serve` does,
 *                           unless --no-warmup)
 */
public record ServeOptions(Map<String, Path> models, String host, int port, String apiKey, int maxBatch, int maxQueue,
                           Duration idleTtl, int contextLength, int threads, long maxBodyBytes, int maxTokensCap,
                           int maxN, int prefillRowsPerStep, Duration idleTimeout,
                           Path modelCache, KvCache.Type kvType, boolean warmUp) {

    /** Options without a warm-up run at load. */
    public ServeOptions(Map<String, Path> models, String host, int port, String apiKey, int maxBatch, int maxQueue,
                        Duration idleTtl, int contextLength, int threads, long maxBodyBytes, int maxTokensCap,
                        int maxN, int prefillRowsPerStep, Duration idleTimeout, Path modelCache, KvCache.Type kvType) {
        this(models, host, port, apiKey, maxBatch, maxQueue, idleTtl, contextLength, threads, maxBodyBytes, maxTokensCap,
                maxN, prefillRowsPerStep, idleTimeout, modelCache, kvType, false);
    }

    /** Options with F32 KV caches and no warm-up run. */
    public ServeOptions(Map<String, Path> models, String host, int port, String apiKey, int maxBatch, int maxQueue,
                        Duration idleTtl, int contextLength, int threads, long maxBodyBytes, int maxTokensCap,
                        int maxN, int prefillRowsPerStep, Duration idleTimeout, Path modelCache) {
        this(models, host, port, apiKey, maxBatch, maxQueue, idleTtl, contextLength, threads, maxBodyBytes, maxTokensCap,
                maxN, prefillRowsPerStep, idleTimeout, modelCache, KvCache.Type.F32);
    }

    public ServeOptions {
        models = new LinkedHashMap<>(models);
        if (models.isEmpty()) throw new IllegalArgumentException("no models: give at least one --model");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("the body limit must be at least 1024 bytes");
        if (maxTokensCap < 1) throw new IllegalArgumentException("the max_tokens cap must be >= 1");
        if (maxN < 1) throw new IllegalArgumentException("the n limit must be >= 1");
        if (apiKey != null && apiKey.isBlank()) apiKey = null;
        if (kvType == null) kvType = KvCache.Type.F32;
    }

    public static ServeOptions defaults(Map<String, Path> models) {
        return new ServeOptions(models, "127.0.0.1", 8080, null, 8, 64, Duration.ofMinutes(15), 0, 0,
                4L << 20, 4096, 8, 256, Duration.ofSeconds(30), null);
    }

    public ServeOptions withPort(int p) {
        return new ServeOptions(models, host, p, apiKey, maxBatch, maxQueue, idleTtl, contextLength, threads,
                maxBodyBytes, maxTokensCap, maxN, prefillRowsPerStep, idleTimeout, modelCache, kvType, warmUp);
    }

    public ServeOptions withModelCache(Path root) {
        return new ServeOptions(models, host, port, apiKey, maxBatch, maxQueue, idleTtl, contextLength, threads,
                maxBodyBytes, maxTokensCap, maxN, prefillRowsPerStep, idleTimeout, root, kvType, warmUp);
    }

    public ServeOptions withApiKey(String key) {
        return new ServeOptions(models, host, port, key, maxBatch, maxQueue, idleTtl, contextLength, threads,
                maxBodyBytes, maxTokensCap, maxN, prefillRowsPerStep, idleTimeout, modelCache, kvType, warmUp);
    }

    public ServeOptions withWarmUp(boolean warm) {
        return new ServeOptions(models, host, port, apiKey, maxBatch, maxQueue, idleTtl, contextLength, threads,
                maxBodyBytes, maxTokensCap, maxN, prefillRowsPerStep, idleTimeout, modelCache, kvType, warm);
    }

    public ServeOptions withKvType(KvCache.Type type) {
        return new ServeOptions(models, host, port, apiKey, maxBatch, maxQueue, idleTtl, contextLength, threads,
                maxBodyBytes, maxTokensCap, maxN, prefillRowsPerStep, idleTimeout, modelCache, type, warmUp);
    }
}
