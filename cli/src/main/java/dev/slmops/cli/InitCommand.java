package dev.slmops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.arch.Arch;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.tensor.DType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Write a randomly initialised model of any architecture (HF layout).",
                "It comes with a byte-level BPE tokenizer trained on the built-in corpus, on your text files "
                        + "(--tokenizer-data), or copied from a model (--tokenizer DIR).",
                "The start of pre-training from scratch, and the models tests and benchmarks use.",
                "Shapes: smollm2-135m, qwen2.5-0.5b, llama-3.2-1b, qwen3-0.6b, phi-4-mini, gemma-3-270m, and tiny-llama, "
                        + "tiny-llama3, tiny-qwen2, tiny-qwen3, tiny-phi3, tiny-gemma3."})
final class InitCommand implements Callable<Integer> {

    @Option(names = "--arch", description = "Architecture: ${COMPLETION-CANDIDATES} (checked against the shape or config).")
    String arch;

    @ArgGroup(multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--shape", description = "A named shape (see above).")
        String shape;
        @Option(names = "--config", description = "A config.json to take the shape from.")
        Path config;
    }

    @Option(names = {"-o", "--output"}, required = true, description = "Directory to write (must not exist unless --force).")
    Path output;

    @Option(names = "--dtype", defaultValue = "bf16", description = "Weight type: f32, f16 or bf16 (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--tokenizer", description = "Copy the tokenizer files of this model directory instead of "
            + "training a byte-level BPE tokenizer on the built-in corpus.")
    Path tokenizer;

    @Option(names = "--tokenizer-data", arity = "1..*", paramLabel = "TEXT",
            description = "Train the byte-level BPE tokenizer on these UTF-8 text files (each one document) instead of "
                    + "the built-in corpus: the text you will pre-train on.")
    List<Path> tokenizerData = List.of();

    @Option(names = "--force", description = "Replace the output directory if it exists.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        ObjectNode config = source.shape != null ? ModelInit.shapeConfig(source.shape)
                : (ObjectNode) new ObjectMapper().readTree(source.config.toFile());
        if (arch != null) {
            Arch want = Arch.fromHfModelType(arch.equals("gemma3") ? "gemma3_text" : arch);
            Arch have = Arch.fromHfModelType(config.path("model_type").asText());
            if (want != have) {
                throw new IllegalArgumentException("--arch " + arch + " does not match the shape's model_type "
                        + config.path("model_type").asText());
            }
        }
        if (tokenizer != null && !tokenizerData.isEmpty()) {
            throw new IllegalArgumentException("--tokenizer copies a tokenizer and --tokenizer-data trains one: give one of them");
        }
        for (Path f : tokenizerData) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("--tokenizer-data " + f + " is not a file: give UTF-8 text files");
            }
        }
        DType type = Dtypes.floatType(dtype);
        System.err.println("writing a random " + config.path("model_type").asText() + " model to " + output + " ...");
        Path dir = TokenizerForInit.writeModel(new ModelInit.Options(config, type, seed, 0.0), tokenizer, tokenizerData, output, force);
        System.out.println(dir);
        return 0;
    }
}
