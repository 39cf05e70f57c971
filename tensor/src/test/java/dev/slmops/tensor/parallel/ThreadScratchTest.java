package dev.slmops.tensor.parallel;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ThreadScratchTest {
    @Test
    void growsInStepsSoARequestOneLongerKeepsTheBuffer() {
        ThreadScratch s = new ThreadScratch();
        float[] first = s.atLeast(100);
        assertThat(first.length).isEqualTo(ThreadScratch.STEP);
        assertThat(s.atLeast(101)).isSameAs(first);
        assertThat(s.atLeast(ThreadScratch.STEP)).isSameAs(first);
        float[] second = s.atLeast(ThreadScratch.STEP + 1);
        assertThat(second.length).isEqualTo(2 * ThreadScratch.STEP);
        assertThat(s.atLeast(10)).isSameAs(second);
    }

    @Test
    void eachThreadHasItsOwnBuffer() throws Exception {
        ThreadScratch s = new ThreadScratch();
        float[] mine = s.atLeast(10);
        float[][] theirs = new float[1][];
        Thread t = new Thread(() -> theirs[0] = s.atLeast(10));
        t.start();
        t.join();
        assertThat(theirs[0]).isNotSameAs(mine);
    }

    @Test
    void roundingNeverPassesTheLargestArray() {
        assertThat(ThreadScratch.roundedUp(0)).isZero();
        assertThat(ThreadScratch.roundedUp(Integer.MAX_VALUE - 9)).isEqualTo(Integer.MAX_VALUE - 9);
    }
}
