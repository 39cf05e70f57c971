package dev.slmops.cli;

import dev.slmops.model.engine.KvCache;
import dev.slmops.model.load.LoadedModel;
import picocli.CommandLine.Option;


/** The model, context and thread flags of the commands that run a model. */
final class RunOptions {
    @Option(names = {"-m", "--model"}, required = true, description = Models.DESCRIPTION)
    String model;

    @Option(names = {"-c", "--ctx"}, defaultValue = "0", description = "Context length in tokens (default: the model's, at most 4096).")
    int ctx;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", description = "Compute threads (default: all cores).")
    int threads;

    @Option(names = "--kv-type", defaultValue = "f32", description = "KV cache element type: f32 (default) or f16 (half the memory).")
    String kvType;

    LoadedModel load() throws java.io.IOException {
        return LoadedModel.load(Models.resolve(model), new LoadedModel.Options(ctx, threads, KvCache.Type.parse(kvType)));
    }
}
