package dev.slmops.workflows.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The report table over a base and llama.cpp's Q8_0 / Q4_0 of it: rows in order, KLD growing as bits shrink. */
class QualityReportTest {

    @Test
    void tableOfABaseAndTwoQuantizations(@TempDir Path tmp) throws Exception {
        TinyQuantizedLlama models = TinyQuantizedLlama.write(tmp);
        Path f32 = models.f32(), q8 = models.q8(), q4 = models.q4();
        List<QualityReport.Row> rows = QualityReport.measure(new QualityReport.Variant("F32", f32),
                List.of(new QualityReport.Variant("Q8_0", q8), new QualityReport.Variant("Q4_0", q4)),
                LlamaCppPerplexityParityTest.text(4000), "text", new EvalOptions(64, 128, 4, 2), 0, System.out::println);
        String table = QualityReport.markdown(rows);
        System.out.println(table);
        assertThat(rows).extracting(QualityReport.Row::label).containsExactly("F32", "Q8_0", "Q4_0");
        assertThat(rows.get(0).kld()).isZero();
        assertThat(rows.get(1).kld()).isPositive().isLessThan(rows.get(2).kld());
        assertThat(rows.get(1).sizeBytes()).isLessThan(rows.get(0).sizeBytes());
        assertThat(rows.get(2).sizeBytes()).isLessThan(rows.get(1).sizeBytes());
        assertThat(table.lines()).hasSize(5).allSatisfy(l -> assertThat(l).startsWith("|"));
    }
}
