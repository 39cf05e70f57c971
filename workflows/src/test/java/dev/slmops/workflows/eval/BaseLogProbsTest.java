package dev.slmops.workflows.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The 16-bit base rows and the logits file, against exact log-softmax computed in double here. */
class BaseLogProbsTest {

    static float[] randomLogits(int V, long seed, double spread) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[V];
        for (int i = 0; i < V; i++) x[i] = (float) (r.nextGaussian() * spread);
        return x;
    }

    static double[] exactLogSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : x) max = Math.max(max, v);
        for (float v : x) sum += Math.exp(v - max);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - max - Math.log(sum);
        return out;
    }

    @Test
    void storedLogProbsAreWithinHalfAStepOfExactAboveTheFloor() {
        for (int V : new int[]{1, 3, 17, 33, 1000}) {
            float[] x = randomLogits(V, V, 4);
            short[] row = new short[BaseLogProbs.rowWords(V)];
            double nll = BaseLogProbs.encode(x, 0, V, V / 2, row, 0);
            double[] exact = exactLogSoftmax(x);
            assertThat(nll).isCloseTo(-exact[V / 2], within(1e-4));
            float scale = BaseLogProbs.scale(row, 0);
            double top = java.util.Arrays.stream(exact).max().orElseThrow();
            for (int i = 0; i < V; i++) {
                if (exact[i] > top - 16) {
                    assertThat((double) BaseLogProbs.logProb(row, 0, i)).as("V=%d i=%d", V, i)
                            .isCloseTo(exact[i], within(scale / 2 + 1e-4));
                }
            }
        }
    }

    @Test
    void kldOfAModelWithItselfIsZeroAndOfAShiftedOneIsTheExactValue() {
        int V = 500;
        float[] p = randomLogits(V, 1, 2), q = randomLogits(V, 2, 0.3);
        for (int i = 0; i < V; i++) q[i] += p[i];
        short[] row = new short[BaseLogProbs.rowWords(V)];
        BaseLogProbs.encode(p, 0, V, 0, row, 0);
        KlDivergence same = new KlDivergence(1), shifted = new KlDivergence(1);
        same.add(p, 0, V, row, 0, 0);
        shifted.add(q, 0, V, row, 0, 0);
        double[] lp = exactLogSoftmax(p), lq = exactLogSoftmax(q);
        double exact = 0;
        for (int i = 0; i < V; i++) exact += Math.exp(lp[i]) * (lp[i] - lq[i]);
        // The 16-bit rows round each log-probability by up to scale/2 (here ≈ 1e-4): a noise floor of ~1e-5 nats
        // on a single position, which is llama-perplexity's too; means over many positions average it down.
        assertThat(same.result().kld().value()).isCloseTo(0, within(5e-5));
        assertThat(same.result().sameTop().value()).isEqualTo(1.0);
        assertThat(shifted.result().kld().value()).isCloseTo(exact, within(0.01 * exact + 5e-5));
    }

    @Test
    void logitsFileRoundTripsAndRejectsTruncation(@TempDir Path tmp) throws Exception {
        int V = 37, ctx = 8;
        int[] tokens = new int[ctx * 2];
        for (int i = 0; i < tokens.length; i++) tokens[i] = i % V;
        EvalChunks chunks = new EvalChunks(tokens, ctx, 2, -1);
        int words = BaseLogProbs.rowWords(V);
        short[] rows = new short[chunks.scoredPerChunk() * words];
        for (int i = 0; i < rows.length; i++) rows[i] = (short) (i * 7);
        Path f = tmp.resolve("base.logits");
        try (LogitsFile.Writer w = new LogitsFile.Writer(f, chunks, V)) {
            w.writeChunk(rows);
            w.writeChunk(rows);
            w.commit();
        }
        assertThat(Files.size(f)).isEqualTo(20 + 4L * 16 + 2L * 2 * 3 * words);
        try (LogitsFile.Reader r = new LogitsFile.Reader(f)) {
            assertThat(r.header().ctx()).isEqualTo(ctx);
            assertThat(r.header().vocab()).isEqualTo(V);
            assertThat(r.header().chunks().tokens()).containsExactly(tokens);
            assertThat(r.readChunk()).containsExactly(rows);
        }
        Path cut = tmp.resolve("cut.logits");
        Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(f), 100));
        assertThatThrownBy(() -> new LogitsFile.Reader(cut)).hasMessageContaining("truncated");
        try (Stream s = new Stream(tmp)) {
            assertThat(s.names()).containsExactlyInAnyOrder("base.logits", "cut.logits"); // no .part left
        }
    }

    /** Names in a directory. */
    record Stream(Path dir) implements AutoCloseable {
        java.util.List<String> names() throws java.io.IOException {
            try (var s = Files.list(dir)) {
                return s.map(p -> p.getFileName().toString()).toList();
            }
        }

        @Override
        public void close() {
        }
    }
}
