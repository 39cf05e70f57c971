package dev.slmops.cli;

import dev.slmops.model.load.LoadedModel;
import dev.slmops.workflows.quantize.Imatrix;
import dev.slmops.workflows.quantize.ImatrixCollector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "imatrix", mixinStandardHelpOptions = true,
        description = {"Compute an importance matrix (llama.cpp's format) from calibration text, for quantize --imatrix.",
                "Per matmul weight: the mean squared activation of each input column over chunks of --ctx tokens."})
final class ImatrixCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, description = Models.DESCRIPTION)
    String model;

    @Option(names = {"-f", "--data"}, required = true, description = "Calibration text file (UTF-8).")
    Path data;

    @Option(names = {"-o", "--output"}, required = true, description = "Output: imatrix.gguf (llama.cpp's current format) or .dat (legacy).")
    Path output;

    @Option(names = {"-c", "--ctx"}, defaultValue = "512", description = "Tokens per chunk (default ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--chunks", defaultValue = "0", description = "Use at most this many chunks (default: all).")
    int chunks;

    @Mixin
    ThreadsOption threads;

    @Option(names = "--force", description = "Replace the output if it exists.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(output) && !force) throw new IllegalArgumentException(output + " already exists; pass --force to replace it");
        Path folder = output.toAbsolutePath().getParent();
        if (!Files.isDirectory(folder)) throw new IllegalArgumentException("output folder " + folder + " does not exist; create it first");
        int n = threads.count();
        long t0 = System.nanoTime();
        try (LoadedModel m = LoadedModel.load(Models.resolve(model), new LoadedModel.Options(ctx, n))) {
            Imatrix im = ImatrixCollector.compute(m, data, ctx, chunks,
                    (done, total) -> System.err.printf("chunk %d/%d (%.1f s)%n", done, total, (System.nanoTime() - t0) / 1e9));
            im.write(output);
            System.err.printf("%d entries from %d chunks of %d tokens%n", im.entries().size(), im.chunkCount(), ctx);
        }
        System.out.println(output);
        return 0;
    }
}
