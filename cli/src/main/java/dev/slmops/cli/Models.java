package dev.slmops.cli;

import dev.slmops.workflows.cache.ModelCache;

import java.io.IOException;
import java.nio.file.Path;

/** How every command reads its model argument: a path, an alias, or a hub id already in the cache. */
final class Models {
    static final String DESCRIPTION = "A model: a Hugging Face directory, a .gguf file, an alias, or a pulled hub id (owner/name[:file]).";

    private Models() {
    }

    static Path resolve(String model) throws IOException {
        return ModelCache.defaultCache().resolve(model);
    }
}
