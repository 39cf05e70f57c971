package dev.slmops.cli;

import dev.slmops.tensor.DType;
import dev.slmops.workflows.export.ExportFormat;
import dev.slmops.workflows.export.ModelExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a model for another runtime into a directory.",
                "gguf: model.gguf. safetensors: a Hugging Face directory transformers loads.",
                "ollama: model.gguf + Modelfile (TEMPLATE translated from the chat template, stop tokens, ADAPTER for --adapter).",
                "foundry-local: inference_model.json + HF files; the ONNX Runtime files Foundry Local runs are NOT produced."})
final class ExportCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, description = Models.DESCRIPTION)
    String model;

    @Option(names = "--format", required = true, description = "gguf, safetensors, ollama or foundry-local.")
    String format;

    @Option(names = {"-o", "--output"}, required = true, description = "Output directory.")
    Path output;

    @Option(names = "--dtype", description = "f32, f16 or bf16 (default: a GGUF source is kept as it is for gguf/ollama; f16 otherwise).")
    String dtype;

    @Option(names = "--adapter", description = "A GGUF LoRA adapter to reference from the Modelfile (ollama only).")
    Path adapter;

    @Option(names = "--name", description = "The model's name in the target runtime (default: the output directory's name).")
    String name;

    @Option(names = "--force", description = "Replace the output directory if it exists.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        DType type = dtype == null ? null : Dtypes.floatType(dtype);
        ModelExport.Result r = ModelExport.export(Models.resolve(model), output,
                new ModelExport.Request(ExportFormat.parse(format), type, adapter, name, force),
                w -> System.err.println("warning: " + w));
        for (Path f : r.files()) System.out.println(r.output().resolve(f));
        for (String n : r.notes()) System.err.println("note: " + n);
        return 0;
    }
}
