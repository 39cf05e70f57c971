package dev.slmops.model.tokenizer.train;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Options, vocabulary layout for the real model shapes, file input, and error messages. */
class BpeTrainerTest {

    /** vocab_size of the shapes `slmops init` makes. */
    static final Map<String, Integer> SHAPES = Map.of("smollm2-135m", 49_152, "qwen2.5/qwen3", 151_936,
            "llama-3.2", 128_256, "phi-4-mini", 200_064, "gemma-3", 262_144);

    @Test
    void everyModelShapeGetsItsExactVocabularySizeWithReservedFiller() {
        for (var shape : SHAPES.entrySet()) {
            TrainedBpe bpe = BpeTrainer.train(BuiltinCorpus.documents(), BpeTrainer.Options.defaults(shape.getValue()));
            assertThat(bpe.vocabSize()).as(shape.getKey()).isEqualTo(shape.getValue());
            assertThat(bpe.corpusExhausted()).as("%s: the built-in corpus cannot fill it", shape.getKey()).isTrue();
            assertThat(bpe.token(shape.getValue() - 1)).isEqualTo("<|reserved_255|>");
            assertThat(bpe.token(bpe.firstSpecialId())).isEqualTo("<|endoftext|>");
            assertThat(bpe.firstSpecialId()).isEqualTo(shape.getValue() - 3 - 256);
            assertThat(bpe.token(bpe.firstUnusedId())).isEqualTo("<|unused_0|>");
            assertThat(bpe.note()).contains("unused filler").contains(shape.getValue() + " ids");
        }
    }

    @Test
    void aLargeShapeLoadsInRustTokenizers(@TempDir Path dir) throws Exception {
        TrainedBpe bpe = BpeTrainer.train(BuiltinCorpus.documents(), BpeTrainer.Options.defaults(151_936));
        bpe.writeHfFiles(dir);
        System.out.printf("151,936-id tokenizer.json: %,d bytes%n", Files.size(dir.resolve("tokenizer.json")));
        try (HuggingFaceTokenizer rust = TrainedTokenizerFilesTest.rust(dir.resolve("tokenizer.json"))) {
            long[] ids = rust.encode("Hello <|reserved_100|> world", false, false).getIds();
            assertThat(ids).contains(bpe.firstSpecialId() + 3 + 100L);
            assertThat(rust.decode(ids, false)).isEqualTo("Hello <|reserved_100|> world");
            assertThat(rust.encode("<|im_end|>", false, false).getIds()).containsExactly(bpe.firstSpecialId() + 2L);
            assertThat(rust.decode(new long[]{151_935, 100_000}, false)).isEqualTo(bpe.token(151_935) + bpe.token(100_000));
        }
    }

    @Test
    void smallTargetsStopAtTheBudget() {
        TrainedBpe bpe = BpeTrainer.train(BuiltinCorpus.documents(), BpeTrainer.Options.defaults(512));
        assertThat(bpe.vocabSize()).isEqualTo(512);
        assertThat(bpe.learnedTokenCount()).isEqualTo(512 - 256 - 3);
        assertThat(bpe.reservedTokens()).isEmpty();
        assertThat(bpe.corpusExhausted()).isFalse();
        assertThat(bpe.merge(0)).as("the most frequent pair of the corpus").isEqualTo("Ġ t");
    }

    @Test
    void higherMinFrequencyLearnsFewerTokens() {
        int low = BpeTrainer.train(BuiltinCorpus.documents(), BpeTrainer.Options.defaults(8192)).learnedTokenCount();
        TrainedBpe high = BpeTrainer.train(BuiltinCorpus.documents(), BpeTrainer.Options.defaults(8192).withMinFrequency(50));
        assertThat(high.learnedTokenCount()).isLessThan(low);
        for (int r = 0; r < high.mergeCount(); r++) assertThat(high.mergeFrequency(r)).isGreaterThanOrEqualTo(50);
    }

    @Test
    void specialTokensInTheTextAreNotLearnedFrom() {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 200; i++) docs.add("<|endoftext|>");
        TrainedBpe bpe = BpeTrainer.train(docs, BpeTrainer.Options.defaults(300));
        assertThat(bpe.learnedTokenCount()).isZero();
        assertThat(bpe.reservedTokens()).hasSize(300 - 256 - 3);
        assertThat(bpe.unusedTokens()).isEmpty();
    }

    @Test
    void customSpecialsAndReservedNamesDoNotCollide() {
        var options = BpeTrainer.Options.defaults(300).withSpecialTokens(
                List.of("<s>", "</s>", "<|reserved_1|>"), "<s>", "</s>", null);
        TrainedBpe bpe = BpeTrainer.train(List.of("tiny"), options);
        assertThat(bpe.reservedTokens()).doesNotContain("<|reserved_1|>").contains("<|reserved_0|>", "<|reserved_2|>");
        assertThat(bpe.token(bpe.firstSpecialId() + 2)).isEqualTo("<|reserved_1|>");
        assertThat(bpe.vocabSize()).isEqualTo(300);
    }

    @Test
    void textFilesTrainLikeTheirWholeText(@TempDir Path dir) throws Exception {
        List<String> docs = BuiltinCorpus.documents(5L, 60_000);
        String a = String.join("\n", docs.subList(0, docs.size() / 2));
        String b = String.join("\n\n", docs.subList(docs.size() / 2, docs.size())) + "\r\n  \n";
        Path fa = Files.writeString(dir.resolve("a.txt"), a), fb = Files.writeString(dir.resolve("b.txt"), b);
        // small chunks: many cuts, each of which must not change a single pre-tokenizer piece
        List<String> chunksA = new ArrayList<>();
        TextFileChunks.forEach(fa, 512, chunksA::add);
        assertThat(chunksA.size()).isGreaterThan(20);
        assertThat(String.join("", chunksA)).isEqualTo(a);
        WordCounter whole = new WordCounter(BpeTrainer.CHATML_SPECIAL_TOKENS), chunked = new WordCounter(BpeTrainer.CHATML_SPECIAL_TOKENS);
        whole.addDocument(a);
        chunksA.forEach(chunked::addChunk);
        WordCounter.Words w1 = whole.finish(), w2 = chunked.finish();
        assertThat(w2.symbols()).isDeepEqualTo(w1.symbols());
        assertThat(w2.counts()).isEqualTo(w1.counts());

        var options = BpeTrainer.Options.defaults(2048);
        TrainedBpe fromFiles = BpeTrainer.trainFiles(List.of(fa, fb), options);
        TrainedBpe fromText = BpeTrainer.train(List.of(a, b), options);
        assertThat(fromFiles.mergeCount()).isEqualTo(fromText.mergeCount());
        for (int r = 0; r < fromText.mergeCount(); r++) assertThat(fromFiles.merge(r)).isEqualTo(fromText.merge(r));
        assertThat(fromFiles.corpus().documents()).isEqualTo(2);
    }

    @Test
    void badInputGetsAClearMessage(@TempDir Path dir) throws Exception {
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> BpeTrainer.trainFiles(List.of(latin1), BpeTrainer.Options.defaults(512)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("latin1.txt")
                .hasMessageContaining("not valid UTF-8");
        assertThatThrownBy(() -> BpeTrainer.trainFiles(List.of(dir.resolve("missing.txt")), BpeTrainer.Options.defaults(512)))
                .hasMessageContaining("missing.txt").hasMessageContaining("does not exist");
        assertThatThrownBy(() -> BpeTrainer.Options.defaults(100))
                .hasMessageContaining("targetVocab 100").hasMessageContaining("at least 259");
        assertThatThrownBy(() -> BpeTrainer.Options.defaults(512).withSpecialTokens(List.of("<s>"), null, "</s>", null))
                .hasMessageContaining("</s>").hasMessageContaining("add it to specialTokens");
        Path aFile = Files.writeString(dir.resolve("not-a-dir"), "x");
        TrainedBpe bpe = BpeTrainer.train(List.of("some text"), BpeTrainer.Options.defaults(300));
        assertThatThrownBy(() -> bpe.writeHfFiles(aFile.resolve("sub"))).hasMessageContaining("not-a-dir");
    }

    @Test
    void builtinCorpusIsAboutTwoHundredKilobytesAndStable() {
        long chars = 0;
        int docs = 0;
        for (String d : BuiltinCorpus.documents()) {
            chars += d.length();
            docs++;
        }
        assertThat(chars).isBetween(200_000L, 202_000L);
        assertThat(docs).isGreaterThan(500);
        assertThat(BuiltinCorpus.documents(1L, 10_000)).isEqualTo(BuiltinCorpus.documents(1L, 10_000));
    }
}
