package dev.slmops.train.optim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Values transformers' get_*_schedule_with_warmup gives (worked out by hand from its lambdas). */
class LrScheduleTest {
    @Test
    void warmupThenEachShape() {
        LrSchedule lin = new LrSchedule(LrSchedule.Kind.LINEAR, 1.0, 2, 10);
        assertThat(lin.factor(0)).isZero();
        assertThat(lin.factor(1)).isEqualTo(0.5);
        assertThat(lin.factor(2)).isEqualTo(1.0);
        assertThat(lin.factor(6)).isEqualTo(0.5);
        assertThat(lin.factor(10)).isZero();
        LrSchedule cos = new LrSchedule(LrSchedule.Kind.COSINE, 2.0, 0, 10);
        assertThat(cos.lr(0)).isEqualTo(2.0);
        assertThat(cos.lr(5)).isCloseTo(1.0, within(1e-12));
        assertThat(cos.lr(10)).isCloseTo(0.0, within(1e-12));
        LrSchedule constant = new LrSchedule(LrSchedule.Kind.CONSTANT, 3.0, 4, 10);
        assertThat(constant.lr(1)).isEqualTo(0.75);
        assertThat(constant.lr(9)).isEqualTo(3.0);
    }

    @Test
    void badNamesAndValuesAreClear() {
        assertThatThrownBy(() -> LrSchedule.Kind.parse("cosine_with_restarts"))
                .hasMessageContaining("expected constant, linear or cosine");
        assertThatThrownBy(() -> new LrSchedule(LrSchedule.Kind.LINEAR, -1, 0, 10)).hasMessageContaining("learning rate");
    }
}
