package dev.slmops.train.loop;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ValidationSplitTest {
    static final List<Integer> ALL = IntStream.range(0, 100).boxed().toList();

    @Test
    void slicesAsHuggingFaceDatasetsReadThem() {
        assertThat(ValidationSplit.parse("train[90:95]").apply(ALL, 1).validation()).containsExactly(90, 91, 92, 93, 94);
        assertThat(ValidationSplit.parse("train[-3:]").apply(ALL, 1).validation()).containsExactly(97, 98, 99);
        var parts = ValidationSplit.parse("train[:10%]").apply(ALL, 1);
        assertThat(parts.validation()).hasSize(10).startsWith(0);
        assertThat(parts.train()).hasSize(90).startsWith(10);
    }

    @Test
    void aTrainSliceSelectsInFileOrder() {
        assertThat(ValidationSplit.parseSlice("train[:3]", "--train-split").select(ALL)).containsExactly(0, 1, 2);
        assertThat(ValidationSplit.parseSlice("train[98%:]", "--train-split").select(ALL)).containsExactly(98, 99);
        assertThatThrownBy(() -> ValidationSplit.parseSlice("0.5", "--train-split")).hasMessageContaining("must be a slice");
    }

    @Test
    void aFractionIsASeededShuffleAndTheRestTrains() {
        var a = ValidationSplit.parse("0.1").apply(ALL, 5);
        var b = ValidationSplit.parse("10%").apply(ALL, 5);
        assertThat(a.validation()).hasSize(10).isEqualTo(b.validation());
        assertThat(a.validation()).isNotEqualTo(IntStream.range(0, 10).boxed().toList());
        assertThat(a.train()).hasSize(90).doesNotContainAnyElementsOf(a.validation());
    }

    @Test
    void badSplitsAreExplained() {
        assertThatThrownBy(() -> ValidationSplit.parse("validation")).hasMessageContaining("neither a fraction");
        assertThatThrownBy(() -> ValidationSplit.parse("1.5")).hasMessageContaining("(0, 1)");
        assertThatThrownBy(() -> ValidationSplit.parse("train[200:300]").apply(ALL, 1)).hasMessageContaining("selects no example");
    }
}
