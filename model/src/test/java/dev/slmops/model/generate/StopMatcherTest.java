package dev.slmops.model.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StopMatcherTest {

    @Test
    void textIsCutBeforeAStopStringSplitAcrossPieces() {
        StopMatcher m = new StopMatcher(List.of("</answer>", "STOP"));
        StringBuilder out = new StringBuilder();
        for (String piece : new String[]{"The result", " is 4</an", "swer> and more"}) out.append(m.feed(piece));
        assertThat(m.stopped()).isTrue();
        assertThat(out.toString()).isEqualTo("The result is 4");
    }

    @Test
    void aPossibleStartOfAStopStringIsHeldBackThenReleased() {
        StopMatcher m = new StopMatcher(List.of("STOP"));
        assertThat(m.feed("abc ST")).isEqualTo("abc ");
        assertThat(m.feed("AR")).isEqualTo("STAR");
        assertThat(m.finish("t S")).isEqualTo("t S");
        assertThat(m.stopped()).isFalse();
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        StopMatcher m = new StopMatcher(List.of("world", "lo"));
        assertThat(m.feed("hello world")).isEqualTo("hel");
    }

    @Test
    void withoutStopStringsEverythingPassesThrough() {
        StopMatcher m = new StopMatcher(List.of());
        assertThat(m.feed("a")).isEqualTo("a");
        assertThat(m.finish("b")).isEqualTo("b");
    }
}
