package dev.slmops.model.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.hf.HfModelDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The forward pass of every architecture against a PyTorch reference (scripts/reference/torch_forward.py,
 * written from transformers' modeling code): the committed golden logits of all 64 positions of a random-weight
 * model, F32 weights, must agree within 1e-4 relative to the largest logit.
 */
class TorchForwardParityTest {
    static final double TOLERANCE = 1e-4;
    static final dev.slmops.tensor.parallel.WorkerPool POOL = new dev.slmops.tensor.parallel.WorkerPool(2);

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama3-rope", "qwen2", "qwen3", "phi3", "gemma3"})
    void logitsOfEveryPositionMatchPyTorch(String name) throws IOException, URISyntaxException {
        Path dir = Path.of(getClass().getResource("/golden/torch-forward/" + name + "/config.json").toURI()).getParent();
        int[] tokens = new ObjectMapper().readValue(dir.resolve("tokens.json").toFile(), int[].class);
        float[] expected = readFloats(dir.resolve("logits.bin"));
        try (HfModelDir hf = HfModelDir.open(dir)) {
            ModelConfig config = ModelConfig.fromHf(hf.config());
            Transformer model = new Transformer(ModelWeights.bind(config, new HfWeightSource(hf)), config.contextLength(), POOL);
            KvCache cache = new KvCache(config, config.contextLength());
            // Prefill half in one batch, then the rest one token at a time: both paths must agree with PyTorch.
            int half = tokens.length / 2;
            float[] a = model.forward(cache, java.util.Arrays.copyOfRange(tokens, 0, half), true);
            float[] actual = new float[expected.length];
            System.arraycopy(a, 0, actual, 0, a.length);
            for (int t = half; t < tokens.length; t++) {
                float[] row = model.forward(cache, new int[]{tokens[t]}, false);
                System.arraycopy(row, 0, actual, t * config.vocabSize(), config.vocabSize());
            }
            double maxAbs = 0, maxRef = 0;
            for (int i = 0; i < expected.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(actual[i] - expected[i]));
                maxRef = Math.max(maxRef, Math.abs(expected[i]));
            }
            System.out.printf("%s: max |diff| %.3g, relative to max |logit| %.3g%n", name, maxAbs, maxAbs / maxRef);
            assertThat(maxAbs / maxRef).as("%s max relative logit difference", name).isLessThan(TOLERANCE);
        }
    }

    static float[] readFloats(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }
}
