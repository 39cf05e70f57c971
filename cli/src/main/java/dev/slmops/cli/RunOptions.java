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

    @Option(names = "--adapter", description = "A LoRA adapter applied unmerged: a PEFT directory (adapter_config.json + "
            + "adapter_model.safetensors) or a GGUF LoRA file, e.g. what slmops finetune wrote.")
    java.nio.file.Path adapter;

    /**
     * The model, under --adapter when given: its LoRA pairs applied unmerged by {@link LoadedModel#generator()} and
     * its modules_to_save bound in place of the base's tensors.
     */
    LoadedModel load() throws java.io.IOException {
        if (adapter != null && !java.nio.file.Files.exists(adapter)) {
            throw new IllegalArgumentException("--adapter " + adapter + ": no such file or directory");
        }
        return LoadedModel.load(Models.resolve(model), new LoadedModel.Options(ctx, threads, KvCache.Type.parse(kvType)), adapter);
    }
}
