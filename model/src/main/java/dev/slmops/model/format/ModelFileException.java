package dev.slmops.model.format;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model file (GGUF, safetensors, ...) that cannot be read because its bytes are wrong: truncated, corrupt,
 * of another format, or of a version or feature slmops does not support. The message always starts with the
 * file and says what is wrong (and, where there is one, what to do); {@link #file()} names the file alone.
 */
public class ModelFileException extends IOException {

    private final String file;

    public ModelFileException(String file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public ModelFileException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    public ModelFileException(Path file, String problem) {
        this(file.toString(), problem);
    }

    /** The file (or in-memory source name) the problem is in. */
    public String file() {
        return file;
    }
}
