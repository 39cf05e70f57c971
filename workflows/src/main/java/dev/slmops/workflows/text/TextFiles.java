package dev.slmops.workflows.text;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the plain-text inputs of the workflows (evaluation data, calibration text) with errors a user can act on. */
public final class TextFiles {
    private TextFiles() {
    }

    /**
     * The whole file as UTF-8 text.
     *
     * @param role what the file is for, to name it in errors ("data file", "calibration text")
     * @throws IllegalArgumentException when the file is missing, not a regular file, or not valid UTF-8
     */
    public static String readUtf8(Path file, String role) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(role + " " + file + " does not exist (or is not a file): give a UTF-8 text file");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(role + " " + file + " is not UTF-8 text: give a plain text file (e.g. wiki.test.raw)");
        }
    }
}
