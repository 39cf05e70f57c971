package dev.slmops.cli;

import dev.slmops.model.convert.GgufExport;
import dev.slmops.model.convert.HfExport;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert between a Hugging Face directory and GGUF (f32/f16/bf16).",
                "GGUF output uses llama.cpp's names and layouts; HF output rebuilds config.json and tokenizer.json."})
final class ConvertCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, description = Models.DESCRIPTION)
    String model;

    @Option(names = "--to", required = true, description = "Output format: gguf or safetensors (an HF directory).")
    String to;

    @Option(names = "--dtype", defaultValue = "f16", description = "f32, f16 or bf16 (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = {"-o", "--output"}, required = true, description = "Output .gguf file or directory.")
    Path output;

    @Option(names = "--force", description = "Replace the output if it exists.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        DType type = Dtypes.floatType(dtype);
        if (Files.exists(output) && !force) {
            throw new IllegalArgumentException(output + " already exists; pass --force to replace it");
        }
        try (ModelFiles files = ModelFiles.open(Models.resolve(model))) {
            switch (to) {
                case "gguf" -> GgufExport.write(files, type, output, w -> System.err.println("warning: " + w));
                case "safetensors", "hf" -> HfExport.write(files, type, output, force, w -> System.err.println("warning: " + w));
                default -> throw new IllegalArgumentException("unsupported --to \"" + to + "\"; supported: gguf, safetensors");
            }
        }
        System.out.println(output);
        return 0;
    }
}
