package dev.slmops.cli;

import dev.slmops.workflows.eval.EvalOptions;
import picocli.CommandLine.Option;

/** How perplexity, compare and quality-report cut the text into windows: llama-perplexity's -c, -b, --chunks and -t. */
final class EvalWindowOptions {
    @Option(names = {"-c", "--ctx"}, defaultValue = "512", description = "Tokens per window (default ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = {"-b", "--batch"}, defaultValue = "2048", description = "Tokens per forward pass; batch/ctx windows run together (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--chunks", defaultValue = "-1", description = "Evaluate at most this many windows (default: all).")
    int chunks;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", description = "Threads (default: all cores).")
    int threads;

    /** The flags as the evaluation API takes them; checks their ranges. */
    EvalOptions toEvalOptions() {
        return new EvalOptions(ctx, batch, chunks, threads);
    }
}
