package dev.slmops.workflows.eval;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Against published Wilson 95% intervals (Newcombe 1998, Table I; statsmodels proportion_confint method="wilson"). */
class WilsonIntervalTest {

    @Test
    void matchesPublishedIntervals() {
        // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3
        check(WilsonInterval.of95(81, 263), 0.2553, 0.3662);
        check(WilsonInterval.of95(15, 148), 0.0624, 0.1605);
        check(WilsonInterval.of95(0, 20), 0.0, 0.1611);
        check(WilsonInterval.of95(1, 29), 0.0061, 0.1718);
    }

    @Test
    void allCorrectStaysBelowOne() {
        WilsonInterval w = WilsonInterval.of95(10, 10);
        assertThat(w.high()).isEqualTo(1.0);
        assertThat(w.low()).isCloseTo(0.7225, within(1e-4));
    }

    @Test
    void refusesImpossibleCounts() {
        assertThatThrownBy(() -> WilsonInterval.of95(1, 0)).hasMessageContaining("at least one trial");
        assertThatThrownBy(() -> WilsonInterval.of95(5, 4)).hasMessageContaining("outside");
    }

    private static void check(WilsonInterval w, double low, double high) {
        assertThat(w.low()).isCloseTo(low, within(1e-4));
        assertThat(w.high()).isCloseTo(high, within(1e-4));
    }
}
