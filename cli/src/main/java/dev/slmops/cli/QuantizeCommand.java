package dev.slmops.cli;

import dev.slmops.workflows.quantize.QuantType;
import dev.slmops.workflows.quantize.Quantizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize a model to a GGUF file llama.cpp and slmops load, with llama.cpp's per-tensor mixes.",
                "Types: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_s/m/l, q4_k_s/m, q5_k_s/m, q6_k",
                "(q3_k, q4_k, q5_k are the _m mixes; --pure gives every matrix the one type)."})
final class QuantizeCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, description = Models.DESCRIPTION)
    String model;

    @Option(names = {"-t", "--type"}, required = true, description = "Target type, e.g. q4_k_m, q8_0.")
    String type;

    @Option(names = {"-o", "--output"}, required = true, description = "Output .gguf file.")
    Path output;

    @Option(names = "--pure", description = "Every quantizable matrix gets --type (no mix, no Q6_K output tensor).")
    boolean pure;

    @Option(names = "--imatrix", description = "Importance matrix (.gguf or .dat, from slmops imatrix or llama-imatrix).")
    Path imatrix;

    @Option(names = {"-a", "--adapter"}, description = "A LoRA adapter (PEFT directory or GGUF LoRA file) to merge into the model "
            + "first, as slmops merge does; the merge streams into a temporary F32 GGUF beside the output.")
    Path adapter;

    @Option(names = "--force", description = "Replace the output if it exists.")
    boolean force;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        QuantType t = QuantType.parse(type);
        Quantizer.Result r = Quantizer.quantize(new Quantizer.Options(Models.resolve(model), t, output, pure, imatrix, force, threads.count(), adapter),
                new Quantizer.Listener() {
                    @Override
                    public void message(String line) {
                        System.err.println(line);
                    }

                    @Override
                    public void progress(int index, int count, Quantizer.TensorResult tr, double seconds) {
                        System.err.printf(Locale.ROOT, "[%4d/%4d] %-36s %-6s -> %-6s %9.2f MiB -> %8.2f MiB%n", index, count, tr.name(),
                                tr.from(), tr.to(), tr.bytesIn() / 1048576.0, tr.bytesOut() / 1048576.0);
                    }
                });
        System.err.printf(Locale.ROOT, "quantized %.1f MB -> %.1f MB (%s) in %.2f s: %.1f MB/s%n", r.bytesIn() / 1e6,
                r.bytesOut() / 1e6, t.cliName(), r.seconds(), r.megabytesPerSecond());
        System.out.println(r.output());
        return 0;
    }
}
