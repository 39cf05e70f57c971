package dev.slmops.cli;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small helpers shared by the evaluation commands. */
final class EvalCliSupport {
    /** Exit code of a run whose measurements fail a quality gate (2 is bad input, 1 a bug). */
    static final int GATE_FAILED = 3;

    private EvalCliSupport() {
    }

    static String readText(Path data) throws IOException {
        if (!Files.isRegularFile(data)) throw new IllegalArgumentException("data file " + data + " does not exist");
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(data))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("data file " + data + " is not UTF-8 text");
        }
    }
}
