package dev.slmops.cli;

import dev.slmops.workflows.cache.HubClient;
import dev.slmops.workflows.cache.ModelCache;
import dev.slmops.workflows.cache.ModelPuller;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * How every command reads its model argument: a path, an alias, or a hub id, which is pulled into the cache on
 * first use as {@code ollama run} does (not with HF_HUB_OFFLINE=1 or -Dslmops.offline=true: then the message says
 * how to pull it).
 */
final class Models {
    static final String DESCRIPTION = "A model: a Hugging Face directory, a .gguf file, an alias, or a hub id (owner/name[:file], pulled on first use).";

    private Models() {
    }

    static Path resolve(String model) throws IOException {
        boolean offline = "1".equals(System.getenv("HF_HUB_OFFLINE")) || Boolean.getBoolean("slmops.offline");
        DownloadProgress progress = new DownloadProgress();
        boolean[] pulled = {false};
        Path path = ModelPuller.resolveOrPull(ModelCache.defaultCache(), model, HubClient::fromEnvironment,
                new ModelPuller.Options(offline, 4, List.of(), 3), progress, ref -> {
                    pulled[0] = true;
                    System.err.println("slmops: " + ref + " is not in the model cache yet: pulling it (slmops model pull)");
                });
        if (pulled[0]) progress.finish();
        return path;
    }
}
