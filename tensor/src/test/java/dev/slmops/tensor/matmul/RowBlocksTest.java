package dev.slmops.tensor.matmul;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RowBlocksTest {
    @Test
    void blocksCoverEveryRowOnceAndPadAtMostOneRowFromFourRowsUp() {
        for (int m = 1; m <= 600; m++) {
            RowBlocks b = RowBlocks.of(m);
            int next = 0, padded = 0;
            for (int i = 0; i < b.count(); i++) {
                assertThat(b.start(i)).as("m=%d block %d", m, i).isEqualTo(next);
                assertThat(b.size(i)).isIn(4, 6);
                assertThat(b.live(i)).isPositive();
                if (i < b.count() - 1) assertThat(b.live(i)).isEqualTo(b.size(i));
                padded += b.size(i) - b.live(i);
                next += b.size(i);
            }
            assertThat(next - padded).as("m=%d", m).isEqualTo(m);
            assertThat(b.lastPadded()).isEqualTo(padded > 0);
            assertThat(padded).as("m=%d", m).isLessThanOrEqualTo(m >= 4 ? m % 2 : 4 - m);
        }
        assertThat(RowBlocks.of(8)).isEqualTo(new RowBlocks(8, 0, 2));
        assertThat(RowBlocks.of(12)).isEqualTo(new RowBlocks(12, 2, 0));
        assertThat(RowBlocks.of(512)).isEqualTo(new RowBlocks(512, 84, 2));
    }

    @Test
    void noRowsIsAnError() {
        assertThatThrownBy(() -> RowBlocks.of(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
    }
}
