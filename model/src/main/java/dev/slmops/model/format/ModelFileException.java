package dev.slmops.model.format;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model file (safetensors, GGUF, config.json, an index) that is malformed or inconsistent. The message names
 * the file and what is wrong with it, so the user can act on it without a stack trace:
 * {@code /models/x/model.safetensors: tensor "lm_head.weight" data_offsets [0, 96] end past the data section (64 bytes)}.
 */
public class ModelFileException extends IOException {
    private final String file;
    private final String problem;

    /** {@code file}: the path (or a description of the source, e.g. "in-memory bytes"); {@code problem}: what is wrong. */
    public ModelFileException(String file, String problem) {
        super(file + ": " + problem);
        this.file = file;
        this.problem = problem;
    }

    private ModelFileException(String file, String problem, String message) {
        super(message);
        this.file = file;
        this.problem = problem;
    }

    /** For a message that already names the file in its own words ("model dir /m has no config.json: ..."). */
    public static ModelFileException worded(Path file, String message) {
        return new ModelFileException(String.valueOf(file), message, message);
    }

    public ModelFileException(Path file, String problem) {
        this(String.valueOf(file), problem);
    }

    public ModelFileException(Path file, String problem, Throwable cause) {
        this(String.valueOf(file), problem);
        initCause(cause);
    }

    public ModelFileException(String file, String problem, Throwable cause) {
        this(file, problem);
        initCause(cause);
    }

    /** The file (or source description) this is about. */
    public String file() {
        return file;
    }

    /** What is wrong, without the file name. */
    public String problem() {
        return problem;
    }
}
