package dev.slmops.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static dev.slmops.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile and mistaken input to the quantize, imatrix, evaluation, export and cache commands: each case must end
 * with exit code 2, one "error:" line that names what was wrong, no stack trace, and no file left behind.
 */
class BadInputSweepTest {

    @TempDir
    static Path tmp;
    static Path hf, gguf, text;

    @BeforeAll
    static void tinyModel() throws IOException {
        hf = tmp.resolve("tiny");
        assertThat(run("init", "--shape", "tiny-llama", "--dtype", "f32", "-o", hf.toString()).exit()).isZero();
        gguf = tmp.resolve("tiny.gguf");
        assertThat(run("convert", "-m", hf.toString(), "--to", "gguf", "--dtype", "f32", "-o", gguf.toString()).exit()).isZero();
        text = Files.writeString(tmp.resolve("text.txt"), "The quick brown fox jumps over the lazy dog. ".repeat(40));
    }

    /** Runs the command in a fresh folder {@code dir}; asserts exit 2, one clear line containing {@code expected}, no new files. */
    private static void rejects(Path dir, String expected, String... args) throws IOException {
        Set<Path> before = listing();
        CliTest.Run r = run(args);
        String cmd = String.join(" ", args);
        assertThat(r.exit()).as("exit code of %s (stderr: %s)", cmd, r.err()).isEqualTo(2);
        assertThat(r.err()).as(cmd).contains(expected).doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(r.err().strip().lines().count()).as("lines of %s: %s", cmd, r.err()).isEqualTo(1);
        assertThat(listing()).as("files left behind by %s", cmd).isEqualTo(before);
    }

    private static Set<Path> listing() throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            return new TreeSet<>(s.toList());
        }
    }

    private static Path file(String name, byte[] bytes) throws IOException {
        return Files.write(tmp.resolve(name), bytes);
    }

    @Test
    void quantize() throws IOException {
        String out = tmp.resolve("q.gguf").toString();
        rejects(tmp, "missing", "quantize", "-m", tmp.resolve("missing.gguf").toString(), "--type", "q8_0", "-o", out);
        byte[] whole = Files.readAllBytes(gguf);
        Path truncated = file("truncated.gguf", java.util.Arrays.copyOf(whole, whole.length / 2));
        rejects(tmp, "truncated.gguf", "quantize", "-m", truncated.toString(), "--type", "q8_0", "-o", out);
        Path header = file("header-only.gguf", java.util.Arrays.copyOf(whole, 40));
        rejects(tmp, "header-only.gguf", "quantize", "-m", header.toString(), "--type", "q8_0", "-o", out);
        rejects(tmp, "text.txt", "quantize", "-m", text.toString(), "--type", "q8_0", "-o", out);
        Path emptyImatrix = file("empty.imatrix.gguf", new byte[0]);
        rejects(tmp, "empty.imatrix.gguf", "quantize", "-m", gguf.toString(), "--type", "q4_k_m", "--imatrix", emptyImatrix.toString(), "-o", out);
        Path emptyDat = file("empty.dat", new byte[0]);
        rejects(tmp, "empty.dat", "quantize", "-m", gguf.toString(), "--type", "q4_k_m", "--imatrix", emptyDat.toString(), "-o", out);
        rejects(tmp, "missing.imatrix", "quantize", "-m", gguf.toString(), "--type", "q4_k_m", "--imatrix", tmp.resolve("missing.imatrix").toString(), "-o", out);
        rejects(tmp, "unsupported quantization type", "quantize", "-m", gguf.toString(), "--type", "int3", "-o", out);
        rejects(tmp, "already exists; pass --force", "quantize", "-m", gguf.toString(), "--type", "q8_0", "-o", text.toString());
        rejects(tmp, "--threads", "quantize", "-m", gguf.toString(), "--type", "q8_0", "--threads", "0", "-o", out);
        rejects(tmp, "does not exist", "quantize", "-m", gguf.toString(), "--type", "q8_0", "-o", tmp.resolve("no/such/dir/q.gguf").toString());
    }

    @Test
    void imatrix() throws IOException {
        String out = tmp.resolve("im.gguf").toString();
        Path binary = file("binary.bin", new byte[]{(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0xc3, 0x28});
        rejects(tmp, "not UTF-8 text", "imatrix", "-m", gguf.toString(), "--data", binary.toString(), "--ctx", "32", "-o", out);
        rejects(tmp, "at most 256 tokens", "imatrix", "-m", gguf.toString(), "--data", text.toString(), "-o", out);
        rejects(tmp, "missing.txt", "imatrix", "-m", gguf.toString(), "--data", tmp.resolve("missing.txt").toString(), "--ctx", "32", "-o", out);
        Path empty = file("empty.txt", new byte[0]);
        rejects(tmp, "empty.txt", "imatrix", "-m", gguf.toString(), "--data", empty.toString(), "--ctx", "32", "-o", out);
        rejects(tmp, "already exists; pass --force", "imatrix", "-m", gguf.toString(), "--data", text.toString(), "-o", text.toString());
        rejects(tmp, "output folder " + tmp.resolve("no/dir") + " does not exist", "imatrix", "-m", gguf.toString(), "--data", text.toString(),
                "--ctx", "32", "--chunks", "1", "-o", tmp.resolve("no/dir/im.gguf").toString());
        rejects(tmp, "--threads must be at least 1", "imatrix", "-m", gguf.toString(), "--data", text.toString(), "--threads", "-2", "-o", out);
        rejects(tmp, "--ctx", "imatrix", "-m", gguf.toString(), "--data", text.toString(), "--ctx", "0", "-o", out);
    }

    @Test
    void evaluation() throws IOException {
        Path binary = file("binary2.bin", new byte[]{(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0xc3, 0x28});
        rejects(tmp, "not UTF-8 text", "perplexity", "-m", gguf.toString(), "-f", binary.toString());
        rejects(tmp, "does not exist", "perplexity", "-m", gguf.toString(), "-f", tmp.resolve("nope.txt").toString());
        rejects(tmp, "--ctx", "perplexity", "-m", gguf.toString(), "-f", text.toString(), "--ctx", "1");
        rejects(tmp, "give --base and --data", "compare", "-m", gguf.toString());
        Path emptyLogits = file("empty.logits", new byte[0]);
        rejects(tmp, "empty.logits", "compare", "--base-logits", emptyLogits.toString(), "-m", gguf.toString());
        rejects(tmp, "LABEL=", "quality-report", "--base", gguf.toString(), "--variant", "noequals", "-f", text.toString());
    }

    @Test
    void modelCache() throws IOException {
        String saved = System.getProperty("slmops.home");
        System.setProperty("slmops.home", tmp.resolve("home").toString());
        try {
            rejects(tmp, "acme/never-pulled", "model", "rm", "acme/never-pulled");
            rejects(tmp, "no such file or directory", "model", "info", tmp.resolve("nothing-here").toString());
            rejects(tmp, "--offline", "model", "pull", "--offline", "acme/never-pulled");
            Path aliases = tmp.resolve("home/aliases.json");
            Files.createDirectories(aliases.getParent());
            Files.writeString(aliases, "{\"mine\": \"/x\",\n  oops");
            rejects(tmp, "aliases.json", "model", "list");
            Files.delete(aliases);
            rejects(tmp, "not a ref", "model", "pull", "--offline", "not a ref");
        } finally {
            if (saved == null) System.clearProperty("slmops.home");
            else System.setProperty("slmops.home", saved);
        }
    }

    @Test
    void export() throws IOException {
        String out = tmp.resolve("exported").toString();
        rejects(tmp, "onnx", "export", "-m", gguf.toString(), "--format", "onnx", "-o", out);
        rejects(tmp, "q4", "export", "-m", gguf.toString(), "--format", "safetensors", "--dtype", "q4", "-o", out);
        rejects(tmp, "already exists", "export", "-m", gguf.toString(), "--format", "gguf", "-o", hf.toString());
        rejects(tmp, "missing.gguf", "export", "-m", gguf.toString(), "--format", "ollama", "--adapter", tmp.resolve("missing.gguf").toString(), "-o", out);
        rejects(tmp, "Ollama", "export", "-m", gguf.toString(), "--format", "gguf", "--adapter", gguf.toString(), "-o", out);
        byte[] whole = Files.readAllBytes(gguf);
        Path truncated = file("truncated2.gguf", java.util.Arrays.copyOf(whole, whole.length - 100));
        rejects(tmp, "truncated2.gguf", "export", "-m", truncated.toString(), "--format", "safetensors", "-o", out);
    }
}
