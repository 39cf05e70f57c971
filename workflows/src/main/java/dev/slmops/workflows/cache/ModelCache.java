package dev.slmops.workflows.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.SafeFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

import static dev.slmops.model.format.SafeFiles.deleteTree;

/**
 * The local model cache, like Ollama's or Foundry Local's: models pulled from the hub, and aliases.
 *
 * <pre>
 * $SLMOPS_HOME (default ~/.slmops)
 *   aliases.json                                  {"name": "owner/repo[:file][@rev]" or a path}
 *   models/owner--repo/refs/REVISION              the commit the revision resolved to when pulled
 *   models/owner--repo/snapshots/COMMIT/...       the files, as in the repository
 *   models/owner--repo/downloads/COMMIT/....part  partial downloads (resumed by the next pull)
 * </pre>
 *
 * Every command that takes a model resolves it through {@link #resolve}: an alias, a path to an HF directory or a
 * .gguf file, or a hub id already in the cache.
 */
public final class ModelCache {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A cached repository snapshot. */
    public record Entry(String repo, String commit, List<String> revisions, Path path, long bytes, int files,
                        List<String> aliases) {
    }

    private final Path root;

    public ModelCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The system property slmops.home, else $SLMOPS_HOME, else ~/.slmops. */
    public static ModelCache defaultCache() {
        String home = System.getProperty("slmops.home", System.getenv("SLMOPS_HOME"));
        return new ModelCache(home != null && !home.isBlank() ? Path.of(home)
                : Path.of(System.getProperty("user.home"), ".slmops"));
    }

    public Path root() {
        return root;
    }

    Path repoDir(HubRef ref) {
        return root.resolve("models").resolve(ref.folderName());
    }

    Path snapshotDir(HubRef ref, String commit) {
        return repoDir(ref).resolve("snapshots").resolve(commit);
    }

    Path downloadsDir(HubRef ref, String commit) {
        return repoDir(ref).resolve("downloads").resolve(commit);
    }

    /** The commit a revision resolved to when last pulled (a full commit id resolves to itself if cached). */
    public Optional<String> commitOf(HubRef ref) throws IOException {
        Path refFile = repoDir(ref).resolve("refs").resolve(ref.revision());
        if (Files.isRegularFile(refFile)) return Optional.of(Files.readString(refFile, StandardCharsets.UTF_8).strip());
        if (ref.revision().matches("[0-9a-f]{40}") && Files.isDirectory(snapshotDir(ref, ref.revision()))) {
            return Optional.of(ref.revision());
        }
        return Optional.empty();
    }

    void writeRef(HubRef ref, String commit) throws IOException {
        writeAtomically(repoDir(ref).resolve("refs").resolve(ref.revision()), commit + "\n");
    }

    /**
     * The local path of a cached hub model: the named file, or the snapshot directory when it holds an HF model
     * (config.json), or its only .gguf file.
     */
    public Optional<Path> find(HubRef ref) throws IOException {
        Optional<String> commit = commitOf(ref);
        if (commit.isEmpty()) return Optional.empty();
        Path snap = snapshotDir(ref, commit.get());
        if (ref.file() != null) {
            Path f = snap.resolve(ref.file()).normalize();
            return f.startsWith(snap) && Files.isRegularFile(f) ? Optional.of(f) : Optional.empty();
        }
        return Optional.ofNullable(modelPathIn(snap, ref));
    }

    static Path modelPathIn(Path snap, HubRef ref) throws IOException {
        if (!Files.isDirectory(snap)) return null;
        if (Files.isRegularFile(snap.resolve("config.json"))) return snap;
        List<Path> ggufs;
        try (Stream<Path> s = Files.walk(snap)) {
            ggufs = s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
        }
        if (ggufs.size() == 1) return ggufs.getFirst();
        if (ggufs.isEmpty()) return null;
        StringBuilder names = new StringBuilder();
        for (Path g : ggufs) names.append("\n  ").append(ref.repo()).append(':').append(snap.relativize(g));
        throw new IllegalArgumentException(ref.repo() + " holds several GGUF files in the cache; name one:" + names);
    }

    /**
     * Resolves what a user typed as a model: an alias, an existing path, or a cached hub id. Never touches the
     * network; a hub id that is not cached yet gets a message saying how to pull it.
     */
    public Path resolve(String text) throws IOException {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("no model given: pass a path, an alias or a hub id");
        String target = aliases().get(text);
        if (target != null && !target.equals(text)) return resolve(target);
        Path asPath = Path.of(text);
        if (Files.exists(asPath)) return asPath;
        if (HubRef.looksLikeHubId(text)) {
            HubRef ref = HubRef.parse(text);
            Optional<Path> p = find(ref);
            if (p.isPresent()) return p.get();
            throw new IllegalArgumentException(text + " is not in the model cache (" + root + "): run `slmops model pull "
                    + text + "` first");
        }
        throw new IllegalArgumentException("no such file or directory: " + text + " (nor is it an alias from `slmops "
                + "model list` or a hub id owner/name)");
    }

    /**
     * The hub id {@code text} names (directly or through an alias) when that model is not in the cache yet; empty for
     * a cached model, an existing path or anything else {@link #resolve} reads.
     */
    public Optional<HubRef> unpulledHubId(String text) throws IOException {
        if (text == null || text.isBlank()) return Optional.empty();
        String target = aliases().get(text);
        if (target != null && !target.equals(text)) return unpulledHubId(target);
        if (Files.exists(Path.of(text)) || !HubRef.looksLikeHubId(text)) return Optional.empty();
        HubRef ref = HubRef.parse(text);
        return find(ref).isPresent() ? Optional.empty() : Optional.of(ref);
    }

    // ------------------------------------------------------------------ aliases

    public Map<String, String> aliases() throws IOException {
        Path f = root.resolve("aliases.json");
        Map<String, String> m = new TreeMap<>();
        if (!Files.isRegularFile(f)) return m;
        try {
            JsonFiles.read(f).properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
        } catch (ModelFileException e) { // Jackson's own message spans lines; this one names the line and column
            throw new IOException(e.getMessage() + "; fix or delete it", e);
        }
        return m;
    }

    public void setAlias(String name, String target) throws IOException {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("alias '" + name + "' may use letters, digits, '.', '_' and '-' (no '/' or ':')");
        }
        Map<String, String> m = aliases();
        m.put(name, target);
        writeAliases(m);
    }

    public boolean removeAlias(String name) throws IOException {
        Map<String, String> m = aliases();
        if (m.remove(name) == null) return false;
        writeAliases(m);
        return true;
    }

    private void writeAliases(Map<String, String> m) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        m.forEach(o::put);
        writeAtomically(root.resolve("aliases.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
    }

    // ------------------------------------------------------------------ listing and removal

    public List<Entry> list() throws IOException {
        List<Entry> out = new ArrayList<>();
        Path models = root.resolve("models");
        if (!Files.isDirectory(models)) return out;
        Map<String, String> aliases = aliases();
        try (Stream<Path> repos = Files.list(models)) {
            for (Path repoDir : repos.sorted().toList()) {
                String repo = repoDir.getFileName().toString().replaceFirst("--", "/");
                Path snaps = repoDir.resolve("snapshots");
                if (!Files.isDirectory(snaps)) continue;
                try (Stream<Path> s = Files.list(snaps)) {
                    for (Path snap : s.sorted().toList()) {
                        String commit = snap.getFileName().toString();
                        List<String> revs = new ArrayList<>();
                        Path refs = repoDir.resolve("refs");
                        if (Files.isDirectory(refs)) {
                            try (Stream<Path> r = Files.walk(refs)) {
                                for (Path rf : r.filter(Files::isRegularFile).toList()) {
                                    if (Files.readString(rf).strip().equals(commit)) revs.add(refs.relativize(rf).toString());
                                }
                            }
                        }
                        List<String> names = new ArrayList<>();
                        aliases.forEach((k, v) -> {
                            if (v.equals(repo) || v.startsWith(repo + ":") || v.startsWith(repo + "@")) names.add(k);
                        });
                        long[] sizeAndCount = sizeOf(snap);
                        out.add(new Entry(repo, commit, revs, snap, sizeAndCount[0], (int) sizeAndCount[1], names));
                    }
                }
            }
        }
        return out;
    }

    /** Removes a cached repository (all its snapshots and partial downloads) and the aliases that name it. */
    public long remove(String text) throws IOException {
        String target = aliases().getOrDefault(text, text);
        if (!HubRef.looksLikeHubId(target)) {
            throw new IllegalArgumentException("'" + text + "' does not name a cached hub model (owner/name or an alias of one); "
                    + "slmops never deletes a model given by path");
        }
        HubRef ref = HubRef.parse(target);
        Path dir = repoDir(ref);
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(ref.repo() + " is not in the model cache (" + root + ")");
        long freed = sizeOf(dir)[0];
        deleteTree(dir);
        Map<String, String> m = aliases();
        boolean changed = m.values().removeIf(v -> v.equals(ref.repo()) || v.startsWith(ref.repo() + ":") || v.startsWith(ref.repo() + "@"));
        if (changed) writeAliases(m);
        return freed;
    }

    /** Removes partial downloads and snapshots no revision points to; returns the bytes freed. */
    public long clean() throws IOException {
        long freed = 0;
        Path models = root.resolve("models");
        if (!Files.isDirectory(models)) return 0;
        try (Stream<Path> repos = Files.list(models)) {
            for (Path repoDir : repos.toList()) {
                Path downloads = repoDir.resolve("downloads");
                if (Files.isDirectory(downloads)) {
                    freed += sizeOf(downloads)[0];
                    deleteTree(downloads);
                }
                List<String> referenced = new ArrayList<>();
                Path refs = repoDir.resolve("refs");
                if (Files.isDirectory(refs)) {
                    try (Stream<Path> r = Files.walk(refs)) {
                        for (Path rf : r.filter(Files::isRegularFile).toList()) referenced.add(Files.readString(rf).strip());
                    }
                }
                Path snaps = repoDir.resolve("snapshots");
                if (Files.isDirectory(snaps)) {
                    try (Stream<Path> s = Files.list(snaps)) {
                        for (Path snap : s.toList()) {
                            if (!referenced.contains(snap.getFileName().toString())) {
                                freed += sizeOf(snap)[0];
                                deleteTree(snap);
                            }
                        }
                    }
                }
                try (Stream<Path> left = Files.list(repoDir)) {
                    Iterator<Path> it = left.iterator();
                    if (!it.hasNext()) Files.delete(repoDir);
                }
            }
        }
        return freed;
    }

    // ------------------------------------------------------------------ file helpers

    static long[] sizeOf(Path dir) throws IOException {
        long[] acc = new long[2];
        if (!Files.exists(dir)) return acc;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                acc[0] += attrs.size();
                acc[1]++;
                return FileVisitResult.CONTINUE;
            }
        });
        return acc;
    }

    static void writeAtomically(Path target, String content) throws IOException {
        Files.createDirectories(target.getParent());
        SafeFiles.writeAtomically(target, content.getBytes(StandardCharsets.UTF_8));
    }

    static void moveAtomically(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        SafeFiles.moveIntoPlace(from, to);
    }

}
