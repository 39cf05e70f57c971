package dev.slmops.testkit.llama;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asks llama.cpp whether it accepts a GGUF file, in a child JVM. llama.cpp refuses most bad files with an error,
 * but some inputs still hit a {@code GGML_ASSERT} and abort the whole process (for example a vocabulary with a
 * duplicated token text: llama-vocab.cpp {@code id_to_token.size() == token_to_id.size()}); in a child JVM such
 * a crash is an answer instead of the end of the test run. Costs one JVM start (~0.5 s) per file.
 *
 * <p>Use it for fuzzing and for comparing our GGUF reader's verdicts with llama.cpp's; load trusted files
 * in-process with {@link LlamaCpp#load}.
 */
public final class LlamaLoadProbe {
    private LlamaLoadProbe() {
    }

    private static final String MARK = "slmops-probe: ";

    public enum Outcome {
        /** llama.cpp loaded the model. */
        LOADED,
        /** llama.cpp returned an error ({@code message} quotes its log). */
        REFUSED,
        /** the process died (GGML_ASSERT / abort / signal); {@code message} holds its last stderr lines. */
        CRASHED,
        /** no answer within the time limit; the child was killed. */
        TIMED_OUT
    }

    public record Result(Outcome outcome, int exitCode, String message) {
    }

    /** Loads {@code gguf} with {@link LlamaCpp#load} in a child JVM and reports what happened. */
    public static Result probe(Path gguf, long timeoutSeconds) {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(javaBin.toString(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path")));
        String root = System.getProperty("slmops.project.root");
        if (root != null) cmd.add("-Dslmops.project.root=" + root);
        cmd.add(LlamaLoadProbe.class.getName());
        cmd.add(gguf.toAbsolutePath().toString());
        Path stdout = null, stderr = null;
        try {
            stdout = Files.createTempFile("slmops-probe", ".out");
            stderr = Files.createTempFile("slmops-probe", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            pb.environment().put("GGML_NO_BACKTRACE", "1"); // no gdb attach on GGML_ASSERT: a fast, short answer
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                return new Result(Outcome.TIMED_OUT, -1, "no answer from llama.cpp within " + timeoutSeconds + " s");
            }
            String out = Files.readString(stdout, StandardCharsets.UTF_8);
            String err = Files.readString(stderr, StandardCharsets.UTF_8);
            int rc = p.exitValue();
            int at = out.indexOf(MARK);
            if (rc == 0 && at >= 0) {
                String line = out.substring(at + MARK.length()).strip();
                if (line.startsWith("LOADED")) return new Result(Outcome.LOADED, rc, line);
                if (line.startsWith("REFUSED")) return new Result(Outcome.REFUSED, rc, line.substring(7).strip());
            }
            return new Result(Outcome.CRASHED, rc, tail(err, 20));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a child JVM to probe " + gguf, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while probing " + gguf, e);
        } finally {
            deleteQuietly(stdout);
            deleteQuietly(stderr);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file left in /tmp is harmless
        }
    }

    private static String tail(String s, int lines) {
        String[] all = s.strip().split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }

    /** The child: load, answer on stdout, exit 0; a native abort ends it with a non-zero status instead. */
    public static void main(String[] args) {
        try (LlamaCpp.Model model = LlamaCpp.load(Path.of(args[0]))) {
            System.out.println(MARK + "LOADED " + model.nParams() + " parameters, vocabulary of " + model.nVocab());
        } catch (RuntimeException e) {
            System.out.println(MARK + "REFUSED " + e.getMessage().replace('\n', ' '));
        }
        System.out.flush();
    }
}
