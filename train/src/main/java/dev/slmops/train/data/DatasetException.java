package dev.slmops.train.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A dataset file or record the loader cannot use; the message names the file, the line (1-based, 0 for the whole
 * file) and what is wrong: {@code train.jsonl:17: "messages"[2] has no "content"}.
 */
public class DatasetException extends IOException {
    private final String file;
    private final int line;

    public DatasetException(String file, int line, String problem) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem);
        this.file = file;
        this.line = line;
    }

    public DatasetException(Path file, int line, String problem) {
        this(String.valueOf(file), line, problem);
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }
}
