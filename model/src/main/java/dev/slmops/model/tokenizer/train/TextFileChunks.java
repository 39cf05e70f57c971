package dev.slmops.model.tokenizer.train;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Reads a UTF-8 text file in chunks of about {@link #CHUNK} chars, cutting only right after a newline that is
 * followed by an ASCII letter, digit or printable symbol other than an apostrophe. No pre-tokenizer piece of
 * the Qwen2 regex crosses such a place (a piece holding a newline ends at the last newline of its run, and
 * no piece starts with a newline followed by a letter), and NFC never composes across it, so training on the
 * chunks gives the same counts as training on the whole file.
 */
final class TextFileChunks {
    static final int CHUNK = 1 << 20;

    private TextFileChunks() {
    }

    static void forEach(Path file, Consumer<String> sink) {
        forEach(file, CHUNK, sink);
    }

    /** {@code chunk}: chars to gather before looking for a cut (tests use small values). */
    static void forEach(Path file, int chunk, Consumer<String> sink) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (Reader in = new InputStreamReader(Files.newInputStream(file), decoder)) {
            char[] buf = new char[chunk * 2];
            int filled = 0;
            while (true) {
                if (filled == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
                int n = in.read(buf, filled, buf.length - filled);
                if (n < 0) break;
                filled += n;
                if (filled < chunk) continue;
                int cut = lastSafeCut(buf, filled);
                if (cut <= 0) continue; // one huge line: keep reading
                sink.accept(new String(buf, 0, cut));
                System.arraycopy(buf, cut, buf, 0, filled - cut);
                filled -= cut;
            }
            if (filled > 0) sink.accept(new String(buf, 0, filled));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("training text file " + file + " does not exist", e);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("training text file " + file + " is not valid UTF-8 (" + e
                    + "): convert it to UTF-8 first (e.g. iconv -t UTF-8)", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read training text file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Index just after the last '\n' in buf[0, filled) whose next char is safe to start a chunk with; 0 if none. */
    static int lastSafeCut(char[] buf, int filled) {
        for (int i = filled - 2; i >= 0; i--) {
            if (buf[i] == '\n' && safeStart(buf[i + 1])) return i + 1;
        }
        return 0;
    }

    private static boolean safeStart(char c) {
        return c > ' ' && c < 0x7F && c != '\'';
    }
}
