package dev.slmops.testkit.llama;

import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

/**
 * llama.cpp through our bindings reproduces the results recorded in ../shared/assets/README.md for
 * llama-2-tiny-random.gguf (a file written by llama.cpp's converter), and its outputs are well-formed.
 */
class LlamaCppTest {
    static final int[] ONCE_UPON_A_TIME = {1, 9038, 2501, 263, 931};
    static final int[] GREEDY_16 = {17196, 5211, 21440, 25431, 7455, 3285, 29710, 4660, 29509, 31364, 19741, 8021,
            29710, 4660, 29509, 31364};

    static LlamaCpp.Model model;

    @BeforeAll
    static void load() {
        model = LlamaCpp.load(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"));
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void tokenizesOnceUponATimeAsRecorded() {
        assertThat(model.tokenize("Once upon a time", true, false)).containsExactly(ONCE_UPON_A_TIME);
        assertThat(model.tokenize("Once upon a time", false, false)).containsExactly(9038, 2501, 263, 931);
    }

    @Test
    void greedyContinuationMatchesTheRecordedIds() {
        try (LlamaCpp.Context ctx = model.newContext(64, false)) {
            assertThat(ctx.greedy(ONCE_UPON_A_TIME, 16)).containsExactly(GREEDY_16);
            // a second run from a fresh sequence gives the same ids (the cache is cleared between uses)
            assertThat(ctx.greedy(ONCE_UPON_A_TIME, 16)).containsExactly(GREEDY_16);
        }
    }

    @Test
    void f32KvCacheContextGivesTheSameGreedyIds() {
        try (LlamaCpp.Context ctx = model.newContext(64, true)) {
            assertThat(ctx.greedy(ONCE_UPON_A_TIME, 16)).containsExactly(GREEDY_16);
        }
    }

    @Test
    void logitsAllHasOneFiniteRowPerPosition() {
        int[] prompt = concat(ONCE_UPON_A_TIME, GREEDY_16);
        float[][] f32, f16;
        try (LlamaCpp.Context ctx = model.newContext(64, true)) {
            f32 = ctx.logitsAll(prompt);
        }
        try (LlamaCpp.Context ctx = model.newContext(64, false)) {
            f16 = ctx.logitsAll(prompt);
        }
        assertThat(f32).hasDimensions(prompt.length, model.nVocab());
        for (float[] row : f32) for (float v : row) assertThat(Float.isFinite(v)).isTrue();
        // teacher forcing on the greedy output: the argmax of row i is the token at i + 1
        for (int i = ONCE_UPON_A_TIME.length - 1; i < prompt.length - 1; i++) {
            assertThat(LlamaCpp.Context.argmax(f32[i])).as("position %d", i).isEqualTo(prompt[i + 1]);
        }
        // F16 and F32 KV caches differ by rounding only
        double worst = 0, scale = 0;
        for (int i = 0; i < prompt.length; i++) {
            for (int v = 0; v < model.nVocab(); v++) {
                worst = Math.max(worst, Math.abs(f32[i][v] - f16[i][v]));
                scale = Math.max(scale, Math.abs(f32[i][v]));
            }
        }
        System.out.printf("F32 vs F16 KV cache: max |diff| %.3g over max |logit| %.3g%n", worst, scale);
        assertThat(worst).isLessThan(1e-2 * Math.max(1, scale));
    }

    @Test
    void logitsContinueMatchesOneLongDecode() {
        int[] prompt = concat(ONCE_UPON_A_TIME, GREEDY_16);
        try (LlamaCpp.Context ctx = model.newContext(64, true)) {
            float[][] all = ctx.logitsAll(prompt);
            ctx.clear();
            float[][] head = ctx.logitsContinue(Arrays.copyOf(prompt, 7));
            float[][] tail = ctx.logitsContinue(Arrays.copyOfRange(prompt, 7, prompt.length));
            assertThat(ctx.nPast()).isEqualTo(prompt.length);
            for (int v = 0; v < model.nVocab(); v += 97) {
                assertThat(head[6][v]).isCloseTo(all[6][v], offset(1e-4f));
                assertThat(tail[tail.length - 1][v])
                        .isCloseTo(all[prompt.length - 1][v], offset(1e-4f));
            }
        }
    }

    @Test
    void modelFactsAndVocabulary() {
        assertThat(model.nVocab()).isEqualTo(32000);
        assertThat(model.nEmbd()).isEqualTo(8);
        assertThat(model.nLayer()).isEqualTo(1);
        assertThat(model.nHead()).isEqualTo(2);
        assertThat(model.nParams()).isGreaterThan(2L * 32000 * 8);
        assertThat(model.metaString("general.architecture")).isEqualTo("llama");
        assertThat(model.desc()).startsWith("llama");
        Map<String, String> meta = model.metadata();
        assertThat(meta).containsEntry("general.architecture", "llama").containsKey("llama.embedding_length");
        assertThatThrownBy(() -> model.metaString("no.such.key")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no.such.key");

        assertThat(model.bos()).isEqualTo(1);
        assertThat(model.eos()).isEqualTo(2);
        assertThat(model.isEog(2)).isTrue();
        assertThat(model.tokenText(9038)).isEqualTo("\u2581Once");
        assertThat(model.tokenAttr(9038)).isEqualTo(LlamaCpp.TOKEN_ATTR_NORMAL);
        assertThat(model.tokenAttr(1) & LlamaCpp.TOKEN_ATTR_CONTROL).isNotZero();
        assertThat(model.tokenAttr(13 + 3) & LlamaCpp.TOKEN_ATTR_BYTE).isNotZero(); // <0x0D>
        assertThat(model.tokenScore(9038)).isNegative();
        assertThat(new String(model.tokenPiece(9038), StandardCharsets.UTF_8)).isEqualTo(" Once");
        assertThat(model.tokenPiece(1)).isEqualTo("<s>".getBytes(StandardCharsets.UTF_8));
        assertThat(model.tokenPiece(1, false)).isEmpty();
        // llama.cpp strips SentencePiece's leading space only when the ids do not start with BOS
        assertThat(model.detokenize(ONCE_UPON_A_TIME)).isEqualTo(" Once upon a time");
        assertThat(model.detokenize(ONCE_UPON_A_TIME, true, false)).isEqualTo(" Once upon a time");
        assertThat(model.detokenize(new int[] {9038, 2501, 263, 931})).isEqualTo("Once upon a time");
        assertThat(model.detokenize(ONCE_UPON_A_TIME, false, true)).isEqualTo("<s> Once upon a time");
        assertThatThrownBy(() -> model.tokenText(32000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void versionAndSystemInfoAreReported() {
        assertThat(LlamaCpp.version()).isNotBlank();
        assertThat(LlamaCpp.systemInfo()).contains("CPU");
        System.out.println("llama.cpp " + LlamaCpp.version() + " (" + LlamaCpp.release() + "): " + LlamaCpp.systemInfo());
    }

    @Test
    void tokenizeParsesSpecialTokensOnlyWhenAsked() {
        assertThat(model.tokenize("<s>hi", false, true)[0]).isEqualTo(1);
        assertThat(model.tokenize("<s>hi", false, false)).doesNotContain(1);
        String unicode = "naïve 日本 \uD83D\uDE00";
        assertThat(model.detokenize(model.tokenize(unicode, false, false))).isEqualTo(unicode);
    }

    @Test
    void quantizesToQ8AndTheResultLoadsAndRuns(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("tiny-q8_0.gguf");
        LlamaCpp.quantize(model.file(), out, LlamaCpp.FTYPE_MOSTLY_Q8_0, 2);
        assertThat(out).isRegularFile();
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(out); // no temp file left behind
        }
        try (LlamaCpp.Model q8 = LlamaCpp.load(out); LlamaCpp.Context ctx = q8.newContext(32, true)) {
            assertThat(q8.metaString("general.file_type")).isEqualTo("7");
            assertThat(ctx.greedy(ONCE_UPON_A_TIME, 4)).hasSize(4);
        }
    }

    @Test
    void missingFilesGiveClearErrors(@TempDir Path dir) {
        assertThatThrownBy(() -> LlamaCpp.load(dir.resolve("nope.gguf")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope.gguf");
        assertThatThrownBy(() -> LlamaCpp.quantize(dir.resolve("nope.gguf"), dir.resolve("o.gguf"), 7, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope.gguf");
    }

    @Test
    void contextRejectsTooManyTokens() {
        try (LlamaCpp.Context ctx = model.newContext(8, false)) {
            assertThatThrownBy(() -> ctx.logitsAll(new int[9])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("8 positions");
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
