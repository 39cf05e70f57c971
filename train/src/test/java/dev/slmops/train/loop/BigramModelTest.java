package dev.slmops.train.loop;

import dev.slmops.train.Example;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The test model's analytic gradients against central finite differences (in double-checked float). */
class BigramModelTest {
    @Test
    void gradientsMatchFiniteDifferences() {
        BigramModel m = new BigramModel(5, 3, 0);
        List<Example> batch = BigramModel.chain(5, 3, 9, 2, 1, 11);
        m.parameters().zeroGrads();
        m.forwardBackward(batch);
        float[] w = m.parameters().values();
        for (int i = 0; i < w.length; i++) {
            float keep = w[i];
            float h = 1e-2f;
            w[i] = keep + h;
            double up = m.evaluate(batch).sum();
            w[i] = keep - h;
            double down = m.evaluate(batch).sum();
            w[i] = keep;
            assertThat(m.parameters().grads()[i]).as("grad %d", i).isCloseTo((float) ((up - down) / (2 * h)),
                    org.assertj.core.data.Offset.offset(2e-3f));
        }
    }
}
