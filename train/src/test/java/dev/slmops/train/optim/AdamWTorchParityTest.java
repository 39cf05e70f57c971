package dev.slmops.train.optim;

import dev.slmops.train.Parameters;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Twenty AdamW steps with a cosine-with-warmup schedule and global-norm clipping, against torch.optim.AdamW +
 * clip_grad_norm_ + transformers' schedule (golden files of scripts/reference/torch_adamw.py, PyTorch 1.13):
 * every parameter after every step within 1e-6 relative (to the largest parameter of that step).
 */
class AdamWTorchParityTest {
    static final double TOLERANCE = 1e-6;

    @Test
    void twentyStepsMatchPyTorch() throws Exception {
        Path dir = Path.of(getClass().getResource("/golden/torch-adamw/meta.json").toURI()).getParent();
        double worst = replay(TorchAdamWGolden.read(dir), true);
        System.out.printf("AdamW vs PyTorch, 20 steps: max relative parameter difference %.3g%n", worst);
        assertThat(worst).isLessThan(TOLERANCE);
    }

    /** Replays the golden run; returns the largest difference relative to the largest |parameter| of its step. */
    static double replay(TorchAdamWGolden g, boolean checkScheduleAndNorm) {
        var meta = g.meta();
        int steps = meta.get("steps").asInt();
        float[] values = g.init().clone();
        float[] grads = new float[values.length];
        Parameters params = new Parameters(values, grads, g.entries());
        AdamW opt = new AdamW(new AdamW.Config(meta.get("beta1").asDouble(), meta.get("beta2").asDouble(),
                meta.get("eps").asDouble(), meta.get("weight_decay").asDouble()), values.length);
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.parse(meta.get("scheduler").asText()),
                meta.get("lr").asDouble(), meta.get("warmup_steps").asLong(), steps);
        double worst = 0;
        for (int step = 0; step < steps; step++) {
            System.arraycopy(g.grads()[step], 0, grads, 0, grads.length);
            double norm = GradClip.clip(grads, meta.get("max_grad_norm").asDouble());
            double lr = schedule.lr(step);
            if (checkScheduleAndNorm) {
                assertThat(lr).as("lr of step %d", step)
                        .isCloseTo(meta.get("lr_per_step").get(step).asDouble(), org.assertj.core.data.Offset.offset(1e-15));
                assertThat(norm).as("grad norm of step %d", step)
                        .isCloseTo(meta.get("grad_norm_per_step").get(step).asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-4));
            }
            opt.step(params, lr);
            float[] want = g.params()[step];
            double maxRef = 0, maxDiff = 0;
            for (int i = 0; i < want.length; i++) {
                maxRef = Math.max(maxRef, Math.abs(want[i]));
                maxDiff = Math.max(maxDiff, Math.abs(values[i] - want[i]));
            }
            worst = Math.max(worst, maxDiff / maxRef);
        }
        return worst;
    }
}
