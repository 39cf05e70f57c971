package dev.slmops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.train.Example;
import dev.slmops.train.Loss;
import dev.slmops.train.Parameters;
import dev.slmops.train.Trainable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in for the training engine in CLI tests: a byte-level bigram model (logits = W[prev byte], W [256,256])
 * with analytic softmax cross-entropy gradients, over the "text" field of JSONL records.
 */
final class ByteBigramBackend implements FinetuneBackend {
    FinetuneSpec lastSpec;

    static final class Model implements Trainable {
        final Parameters params = new Parameters(new float[256 * 256], new float[256 * 256],
                List.of(new Parameters.Entry("W", new int[]{256, 256}, 0, 256 * 256, true)));

        @Override
        public Parameters parameters() {
            return params;
        }

        @Override
        public Loss forwardBackward(List<Example> batch) {
            return run(batch, true);
        }

        @Override
        public Loss evaluate(List<Example> batch) {
            return run(batch, false);
        }

        private Loss run(List<Example> batch, boolean backward) {
            float[] w = params.values(), g = params.grads();
            double sum = 0;
            long n = 0;
            double[] p = new double[256];
            for (Example e : batch) {
                for (int t = 1; t < e.tokens().length; t++) {
                    if (!e.lossOn()[t]) continue;
                    int prev = e.tokens()[t - 1], target = e.tokens()[t];
                    double max = Double.NEGATIVE_INFINITY, z = 0;
                    for (int j = 0; j < 256; j++) max = Math.max(max, w[prev * 256 + j]);
                    for (int j = 0; j < 256; j++) z += (p[j] = Math.exp(w[prev * 256 + j] - max));
                    sum += -Math.log(p[target] / z);
                    n++;
                    if (backward) for (int j = 0; j < 256; j++) g[prev * 256 + j] += (float) (p[j] / z - (j == target ? 1 : 0));
                }
            }
            return new Loss(sum, n);
        }
    }

    @Override
    public Trainable load(FinetuneSpec spec) {
        lastSpec = spec;
        return new Model();
    }

    @Override
    public List<Example> readData(Path jsonl, FinetuneSpec spec, Trainable model) throws IOException {
        List<Example> out = new ArrayList<>();
        ObjectMapper om = new ObjectMapper();
        for (String line : Files.readAllLines(jsonl)) {
            if (line.isBlank()) continue;
            byte[] b = om.readTree(line).get("text").asText().getBytes(StandardCharsets.UTF_8);
            int n = Math.min(b.length, spec.seqLen());
            int[] tokens = new int[n];
            boolean[] on = new boolean[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = b[i] & 0xff;
                on[i] = i > 0;
            }
            out.add(new Example(tokens, on));
        }
        return out;
    }

    @Override
    public List<Path> saveOutputs(Trainable model, FinetuneSpec spec, Path output) throws IOException {
        Path p = output.resolve("bigram.bin");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(model.parameters().size() * 4);
        b.asFloatBuffer().put(model.parameters().values());
        Files.write(p, b.array());
        return List.of(p);
    }
}
