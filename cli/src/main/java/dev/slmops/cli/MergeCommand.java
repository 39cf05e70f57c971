package dev.slmops.cli;

import dev.slmops.tensor.DType;
import dev.slmops.workflows.merge.AdapterMerge;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge a LoRA adapter into a model's weights (W + scale * B A).",
                "The adapter is a PEFT directory or a GGUF LoRA file; the output an HF directory or a .gguf file."})
final class MergeCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, description = Models.DESCRIPTION)
    String model;

    @Option(names = {"-a", "--adapter"}, required = true,
            description = "A PEFT adapter directory (adapter_config.json + adapter_model.safetensors) or a GGUF LoRA file.")
    Path adapter;

    @Option(names = {"-o", "--output"}, required = true, description = "Output directory (HF) or .gguf file.")
    Path output;

    @Option(names = "--to", description = "Output format: safetensors (HF directory) or gguf (default: gguf when the "
            + "output ends in .gguf).")
    String to;

    @Option(names = "--dtype", defaultValue = "f16", description = "f32, f16 or bf16 (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--force", description = "Replace the output if it exists.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        DType type = Dtypes.floatType(dtype);
        AdapterMerge.Format format = to == null ? AdapterMerge.formatOf(output) : switch (to.toLowerCase(Locale.ROOT)) {
            case "gguf" -> AdapterMerge.Format.GGUF;
            case "safetensors", "hf" -> AdapterMerge.Format.HF;
            default -> throw new IllegalArgumentException("unsupported --to \"" + to + "\"; supported: gguf, safetensors");
        };
        AdapterMerge.merge(Models.resolve(model), adapter, output, type, format, force, w -> System.err.println("warning: " + w));
        System.out.println(output);
        return 0;
    }
}
