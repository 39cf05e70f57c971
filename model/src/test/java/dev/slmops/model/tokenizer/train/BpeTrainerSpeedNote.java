package dev.slmops.model.tokenizer.train;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The speed note (not a benchmark, asserts nothing about time): 8,000 merges on 5 MB of the generated
 * corpus, each phase timed three times, medians printed. Run with
 * {@code ./mvnw -B -pl model -am test -Pslow -Dtest=BpeTrainerSpeedNote -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("slow")
class BpeTrainerSpeedNote {
    static final long CHARS = 5_000_000;
    static final int MERGES = 8_000;

    @Test
    void eightThousandMergesOnFiveMegabytes() {
        List<String> docs = BuiltinCorpus.documents(1L, CHARS);
        long bytes = docs.stream().mapToLong(d -> d.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).sum();
        double[] split = new double[3], regex = new double[3], learn = new double[3];
        LearnedMerges merges = null;
        int distinct = 0;
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            WordCounter counter = new WordCounter(BpeTrainer.CHATML_SPECIAL_TOKENS);
            docs.forEach(counter::addDocument);
            WordCounter.Words words = counter.finish();
            long t1 = System.nanoTime();
            merges = IncrementalBpe.learn(words, MERGES, 2);
            long t2 = System.nanoTime();
            WordCounter reference = new WordCounter(BpeTrainer.CHATML_SPECIAL_TOKENS, true);
            docs.forEach(reference::addDocument);
            reference.finish();
            long t3 = System.nanoTime();
            split[rep] = (t1 - t0) / 1e9;
            learn[rep] = (t2 - t1) / 1e9;
            regex[rep] = (t3 - t2) / 1e9;
            distinct = words.symbols().length;
        }
        assertThat(merges.mergeCount()).isEqualTo(MERGES);
        System.out.printf("BPE training speed note: %,d documents, %,d UTF-8 bytes, %,d distinct words%n",
                docs.size(), bytes, distinct);
        System.out.printf("  pre-tokenize + count (Qwen2Splitter): median %.2f s (%.1f MB/s); with java.util.regex: %.2f s%n",
                median(split), bytes / 1e6 / median(split), median(regex));
        System.out.printf("  learn %,d merges (IncrementalBpe): median %.2f s (%.0f merges/s)%n",
                MERGES, median(learn), MERGES / median(learn));
        System.out.printf("  total: %.2f s; runs: split %s learn %s%n", median(split) + median(learn),
                java.util.Arrays.toString(split), java.util.Arrays.toString(learn));
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }
}
