package dev.slmops.cli;

import dev.slmops.workflows.text.TextFiles;

import java.io.IOException;
import java.nio.file.Path;

/** Small helpers shared by the evaluation commands. */
final class EvalCliSupport {
    /** Exit code of a run whose measurements fail a quality gate (2 is bad input, 1 a bug). */
    static final int GATE_FAILED = 3;

    private EvalCliSupport() {
    }

    static String readText(Path data) throws IOException {
        return TextFiles.readUtf8(data, "data file");
    }
}
