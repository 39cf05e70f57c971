package dev.slmops.train.loop;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressTest {
    @Test
    void plainLinesWhenNotATerminalAndARedrawnBarOnOne() {
        StringWriter plain = new StringWriter(), tty = new StringWriter();
        new Progress(new PrintWriter(plain), false).step(3, 10, 2.5, 1e-4, 1234, 75);
        new Progress(new PrintWriter(tty), true).step(3, 10, 2.5, 1e-4, 1234, 75);
        assertThat(plain.toString()).isEqualTo("step 3/10  loss 2.5000  lr 1.000e-04  1234 tok/s  ETA 1m15s" + System.lineSeparator());
        assertThat(tty.toString()).startsWith("\r[#######-----------------] step 3/10").doesNotContain("\n");
        assertThat(Progress.eta(3 * 3600 + 60)).isEqualTo("3h01m");
        assertThat(Progress.eta(Double.NaN)).isEqualTo("?");
    }
}
