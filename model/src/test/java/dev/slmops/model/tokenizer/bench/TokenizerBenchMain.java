package dev.slmops.model.tokenizer.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;

/**
 * Runs {@link TokenizerEncodeBench} and prints MB/s (10^6 bytes of UTF-8 input per second) for ours and
 * Rust side by side. Run with {@code scripts/bench-tokenizer.sh} (builds, then runs this class on the test
 * classpath).
 */
public final class TokenizerBenchMain {
    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(TokenizerEncodeBench.class.getName()).build()).run();
        var docs = BenchText.documents();
        double mbPerDoc = BenchText.totalBytes(docs) / 1e6 / docs.size();
        System.out.printf("%nencode throughput, one thread, %.2f MB of mixed text in %d documents of ~4 KiB%n",
                mbPerDoc * docs.size(), docs.size());
        System.out.printf("%-8s %-6s %10s %10s%n", "model", "impl", "MB/s", "+-");
        for (RunResult r : results) {
            String model = r.getParams().getParam("model");
            String impl = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            double ops = r.getPrimaryResult().getScore(), err = r.getPrimaryResult().getScoreError();
            System.out.printf("%-8s %-6s %10.2f %10.2f%n", model, impl, ops * mbPerDoc, err * mbPerDoc);
        }
    }
}
