package dev.slmops.workflows.cache;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code slmops model pull}: brings a hub model into the {@link ModelCache}. Files download in parallel into
 * partial files, resume where an earlier pull stopped (byte ranges), are checked against the hub's SHA-256 (LFS) or
 * git blob id before they are moved into the snapshot, and the revision's ref is written last, so a model is either
 * in the cache whole or not at all.
 */
public final class ModelPuller {
    /** Files a model directory needs; weights in other formats (pytorch_model.bin, ONNX, ...) are not pulled. */
    private static final Set<String> MODEL_FILES = Set.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt",
            "added_tokens.json", "chat_template.jinja", "chat_template.json", "model.safetensors.index.json",
            "adapter_config.json", "README.md", "LICENSE");

    /**
     * @param offline  never touch the network: succeed only if the model is cached
     * @param parallel files downloaded at once
     * @param include  glob patterns (e.g. "*.json", "*q4_0.gguf") replacing the default selection; empty for default
     * @param retries  attempts per file when a connection breaks (each resumes where the last stopped)
     */
    public record Options(boolean offline, int parallel, List<String> include, int retries) {
        public Options {
            if (parallel < 1 || parallel > 32) throw new IllegalArgumentException("--parallel must be 1..32, got " + parallel);
            if (retries < 1) throw new IllegalArgumentException("retries must be at least 1");
            include = List.copyOf(include);
        }

        public static Options defaults() {
            return new Options(false, 4, List.of(), 3);
        }
    }

    /** Download progress, called from the downloading threads. */
    public interface Progress {
        default void files(List<HubFile> toDownload, long totalBytes) {
        }

        default void bytes(HubFile file, long n) {
        }

        default void fileDone(HubFile file) {
        }

        default void retry(HubFile file, int attempt, String why) {
        }

        Progress NONE = new Progress() {
        };
    }

    /** What a pull did: where the model is, the commit, how much it fetched. */
    public record Result(Path path, String commit, int filesDownloaded, long bytesDownloaded, boolean wasCached) {
    }

    private final ModelCache cache;
    private final HubClient hub;

    public ModelPuller(ModelCache cache, HubClient hub) {
        this.cache = cache;
        this.hub = hub;
    }

    /**
     * What a user typed as a model, read as {@link ModelCache#resolve} reads it, except that a hub id not in the cache
     * yet is pulled first (as {@code ollama run} and {@code foundry model run} do): {@code onPull} hears of it before
     * the download starts. The hub client is made only then. Offline, the cache's message says how to pull.
     */
    public static Path resolveOrPull(ModelCache cache, String text, Supplier<HubClient> hub, Options o, Progress progress,
                                     Consumer<HubRef> onPull) throws IOException {
        Optional<HubRef> missing = cache.unpulledHubId(text);
        if (missing.isEmpty() || o.offline()) return cache.resolve(text);
        onPull.accept(missing.get());
        try {
            return new ModelPuller(cache, hub.get()).pull(missing.get(), o, progress).path();
        } catch (IOException | RuntimeException e) {
            throw new IOException(text + " is not a file or directory here, an alias or a cached model, and pulling it "
                    + "from the hub failed: " + e.getMessage(), e);
        }
    }

    public Result pull(HubRef ref, Options o, Progress progress) throws IOException {
        Optional<Path> cached = cache.find(ref);
        if (o.offline()) {
            if (cached.isPresent()) return new Result(cached.get(), cache.commitOf(ref).orElseThrow(), 0, 0, true);
            throw new IOException(ref + " is not in the model cache (" + cache.root() + ") and --offline forbids downloading it");
        }
        HubClient.Listing listing = hub.list(ref);
        List<HubFile> wanted = select(ref, listing.files(), o.include());
        Path snap = cache.snapshotDir(ref, listing.commit());
        Path downloads = cache.downloadsDir(ref, listing.commit());
        List<HubFile> missing = new ArrayList<>();
        long total = 0;
        for (HubFile f : wanted) {
            Path dest = safeResolve(snap, f.path());
            if (Files.isRegularFile(dest) && (f.size() < 0 || Files.size(dest) == f.size())) continue;
            missing.add(f);
            total += Math.max(0, f.size());
        }
        progress.files(missing, total);
        long bytes = 0;
        if (!missing.isEmpty()) {
            try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(o.parallel(), missing.size()),
                    Thread.ofVirtual().name("pull-", 0).factory())) {
                List<Future<Long>> done = new ArrayList<>();
                for (HubFile f : missing) {
                    done.add(pool.submit(() -> fetch(ref, listing.commit(), f, safeResolve(downloads, f.path() + ".part"),
                            safeResolve(snap, f.path()), o.retries(), progress)));
                }
                IOException first = null;
                for (Future<Long> fut : done) {
                    try {
                        bytes += fut.get();
                    } catch (ExecutionException e) {
                        Throwable c = e.getCause();
                        IOException io = c instanceof IOException ioe ? ioe : new IOException(c.getMessage(), c);
                        if (first == null) first = io;
                        else first.addSuppressed(io);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("pull interrupted; run it again to resume", e);
                    }
                }
                if (first != null) throw first;
            }
        }
        cache.writeRef(ref, listing.commit());
        if (!ref.revision().equals(listing.commit())) cache.writeRef(new HubRef(ref.repo(), null, listing.commit()), listing.commit());
        Path path = cache.find(ref).orElseThrow(() -> new IOException("pulled " + ref + " but found no model in it "
                + "(no config.json or .gguf among " + wanted.size() + " files); pass --include or name a file"));
        return new Result(path, listing.commit(), missing.size(), bytes, missing.isEmpty());
    }

    /** Downloads with resume and retries, verifies, then moves the file into the snapshot. Returns bytes fetched. */
    private long fetch(HubRef ref, String commit, HubFile f, Path part, Path dest, int retries, Progress progress)
            throws IOException {
        Files.createDirectories(part.getParent());
        long[] fetched = {0};
        IOException last = null;
        for (int attempt = 1; attempt <= retries; attempt++) {
            try {
                boolean[] first = {true};
                hub.download(ref, commit, f, part, n -> {
                    if (first[0]) { // the first report is the byte count already on disk (resumed), not new bytes
                        first[0] = false;
                        progress.bytes(f, n);
                        return;
                    }
                    fetched[0] += n;
                    progress.bytes(f, n);
                });
                last = null;
                break;
            } catch (HubHttpException e) {
                throw e; // an HTTP answer (404, 401 ...): retrying will not change it
            } catch (IOException e) {
                last = e;
                progress.retry(f, attempt, e.getMessage());
            }
        }
        if (last != null) {
            throw new IOException("downloading " + f.path() + " of " + ref.repo() + " failed after " + retries
                    + " attempts (" + last.getMessage() + "); run the pull again to resume", last);
        }
        String bad = Checksums.mismatch(f, part);
        if (bad != null) {
            Files.deleteIfExists(part);
            throw new IOException("checksum mismatch for " + f.path() + " of " + ref.repo() + ": got " + bad
                    + "; the corrupt download was deleted, run the pull again");
        }
        ModelCache.moveAtomically(part, dest);
        progress.fileDone(f);
        return fetched[0];
    }

    /** The files of a pull: the named one, the include globs, or a model's files (safetensors preferred over GGUF). */
    static List<HubFile> select(HubRef ref, List<HubFile> files, List<String> include) {
        if (ref.file() != null) {
            for (HubFile f : files) if (f.path().equals(ref.file())) return List.of(f);
            StringBuilder ggufs = new StringBuilder();
            for (HubFile f : files) if (f.path().endsWith(".gguf")) ggufs.append("\n  ").append(f.path());
            throw new IllegalArgumentException(ref.repo() + " has no file '" + ref.file() + "'"
                    + (ggufs.isEmpty() ? "" : "; its GGUF files:" + ggufs));
        }
        if (!include.isEmpty()) {
            List<PathMatcher> ms = include.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
            List<HubFile> out = files.stream().filter(f -> ms.stream().anyMatch(m -> m.matches(Path.of(f.path())))).toList();
            if (out.isEmpty()) throw new IllegalArgumentException("no file of " + ref.repo() + " matches " + include);
            return out;
        }
        List<HubFile> out = new ArrayList<>();
        boolean safetensors = files.stream().anyMatch(f -> f.path().endsWith(".safetensors"));
        List<HubFile> ggufs = files.stream().filter(f -> f.path().endsWith(".gguf")).toList();
        for (HubFile f : files) {
            String name = f.path();
            if (name.contains("/")) continue; // sub-folders hold other formats (onnx/, original/ ...)
            if (MODEL_FILES.contains(name) || (safetensors && name.endsWith(".safetensors"))) out.add(f);
        }
        if (!safetensors) {
            if (ggufs.size() == 1) out.add(ggufs.getFirst());
            else if (ggufs.size() > 1) {
                StringBuilder names = new StringBuilder();
                for (HubFile g : ggufs) names.append("\n  ").append(ref.repo()).append(':').append(g.path());
                throw new IllegalArgumentException(ref.repo() + " has several GGUF files and no safetensors; pull one:" + names);
            } else {
                throw new IllegalArgumentException(ref.repo() + " has neither .safetensors nor .gguf weights at its top level; "
                        + "slmops runs those two formats (use --include to pull other files)");
            }
        }
        return out;
    }

    private static Path safeResolve(Path dir, String relative) {
        Path p = dir.resolve(relative).normalize();
        if (!p.startsWith(dir)) throw new IllegalArgumentException("the hub listed a file outside the repository: " + relative);
        return p;
    }
}
