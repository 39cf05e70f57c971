package dev.slmops.workflows.eval;

import dev.slmops.model.generate.Generator;
import dev.slmops.model.generate.SamplingParams;
import dev.slmops.model.engine.KvCache;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.tensor.DType;
import dev.slmops.train.data.DatasetException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Task accuracy on a random tiny Llama: the batched greedy answers equal the one-at-a-time Generator's, and the
 * score counts exactly the references that match.
 */
class TaskAccuracyTest {
    @TempDir
    static Path tmp;
    static LoadedModel model;

    @BeforeAll
    static void writeModel() throws Exception {
        Path hf = TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig("tiny-llama"), DType.F32, 7, 0.1),
                null, tmp.resolve("hf"), false);
        model = LoadedModel.load(hf, new LoadedModel.Options(256, 2));
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    static final List<String> PROMPTS = List.of("Once upon a time", "a b c =", "The cat", "q", "reverse: d o g =",
            "1 2 3 4", "hello world, this prompt is a little longer than the others", "x y");

    @Test
    void batchedGreedyGivesTheGeneratorsAnswers() {
        List<int[]> prompts = PROMPTS.stream().map(p -> model.tokenizer().encode(p, true)).toList();
        int[][] batched = new BatchedGreedy(model.transformer(), model.tokenizer()).generate(prompts, 12, null);
        for (int i = 0; i < prompts.size(); i++) {
            Generator.Result one = model.generator().generate(prompts.get(i), SamplingParams.greedy(12), model.newCache(), null);
            assertThat(batched[i]).as("prompt %d", i).containsExactly(one.tokens());
        }
    }

    @Test
    void underAnAdapterEachSequenceGetsTheAnswerItGetsAlone() {
        LoraAdapter lora = LoraAdapter.init("a", model.config(), List.of("all-linear"), 4, 8, false, 3, 0.2);
        List<int[]> prompts = PROMPTS.stream().map(p -> model.tokenizer().encode(p, true)).toList();
        BatchedGreedy greedy = new BatchedGreedy(model.transformer(), model.tokenizer());
        int[][] batched = greedy.generate(prompts, 10, lora);
        int[][] base = greedy.generate(prompts, 10, null);
        boolean anyDiffers = false;
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(batched[i]).as("prompt %d", i).containsExactly(alone(prompts.get(i), 10, lora));
            anyDiffers |= !java.util.Arrays.equals(batched[i], base[i]);
        }
        assertThat(anyDiffers).as("the adapter changes some answer").isTrue();
    }

    /** Greedy decoding of one prompt through the single-sequence forward: the plain loop. */
    private static int[] alone(int[] prompt, int maxTokens, LoraAdapter lora) {
        KvCache cache = model.newCache();
        float[] logits = model.transformer().forward(cache, prompt, false, lora);
        int[] out = new int[maxTokens];
        int n = 0;
        while (n < maxTokens) {
            int t = BatchedGreedy.argmax(logits, model.config().vocabSize());
            if (model.tokenizer().specials().isEos(t)) break;
            out[n++] = t;
            if (n < maxTokens) logits = model.transformer().forward(cache, new int[] {t}, false, lora);
        }
        return java.util.Arrays.copyOf(out, n);
    }

    @Test
    void countsTheAnswersThatMatchTheirReference() throws Exception {
        // references: the Generator's own greedy answer for even lines, something else for odd ones
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            int[] ids = model.tokenizer().encode(PROMPTS.get(i), true);
            String answer = model.generator().generate(ids, SamplingParams.greedy(8), model.newCache(), null).text();
            String ref = i % 2 == 0 ? answer : answer + " not this";
            lines.add(i % 3 == 0 ? json("input", PROMPTS.get(i), "output", ref) : json("prompt", PROMPTS.get(i), "completion", ref));
        }
        Path data = tmp.resolve("test.jsonl");
        Files.write(data, lines);
        List<TaskItems.Item> items = TaskItems.read(data, model.tokenizer(), model.chatTemplate(), false, 0);
        TaskAccuracy.Result r = TaskAccuracy.run(model.transformer(), model.tokenizer(), items, null,
                new TaskAccuracy.Options(AnswerMetric.EXACT, 8, 3), null);
        assertThat(r.count()).isEqualTo(8);
        assertThat(r.correct()).isEqualTo(4);
        assertThat(r.failures()).extracting(TaskAccuracy.Outcome::line).containsExactly(2, 4, 6, 8);
        assertThat(r.interval()).isEqualTo(WilsonInterval.of95(4, 8));
        assertThat(r.summary()).startsWith("accuracy 0.5000 (4/8, 95% CI ");

        // the model's answers start with the odd lines' references minus the suffix: prefix does not help, contains neither
        TaskAccuracy.Result limited = TaskAccuracy.run(model.transformer(), model.tokenizer(),
                TaskItems.read(data, model.tokenizer(), model.chatTemplate(), false, 2), null,
                new TaskAccuracy.Options(AnswerMetric.PREFIX, 8, 16), null);
        assertThat(limited.count()).isEqualTo(2);
        assertThat(limited.correct()).isEqualTo(1);
    }

    @Test
    void chatRecordsAskEverythingBeforeTheLastAssistantTurn() throws Exception {
        Path data = tmp.resolve("chat.jsonl");
        Files.writeString(data, """
                {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}, {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]}
                """);
        TaskItems.Item it = TaskItems.read(data, model.tokenizer(), model.chatTemplate(), false, 0).getFirst();
        assertThat(it.reference()).isEqualTo("4");
        assertThat(it.promptText()).contains("hello").contains("2+2?").doesNotContain("4<");
        assertThat(it.line()).isEqualTo(1);
    }

    @Test
    void textRecordsAndBadLinesAreRefusedWithTheirLine() throws Exception {
        Path text = tmp.resolve("text.jsonl");
        Files.writeString(text, "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"text\": \"no answer here\"}\n");
        assertThatThrownBy(() -> TaskItems.read(text, model.tokenizer(), model.chatTemplate(), false, 0))
                .hasMessageContaining("text.jsonl:2").hasMessageContaining("no answer to score");
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"a\", \"completion\": \"b\"}\n{not json\n");
        assertThatThrownBy(() -> TaskItems.read(bad, model.tokenizer(), model.chatTemplate(), false, 0))
                .isInstanceOf(DatasetException.class).hasMessageContaining("2");
    }

    @Test
    void metricsTrimAndCompare() {
        assertThat(AnswerMetric.EXACT.matches("  t a c \n", "t a c")).isTrue();
        assertThat(AnswerMetric.EXACT.matches("t a c d", "t a c")).isFalse();
        assertThat(AnswerMetric.PREFIX.matches("t a c d", "t a c")).isTrue();
        assertThat(AnswerMetric.CONTAINS.matches("so: t a c.", "t a c")).isTrue();
        assertThat(AnswerMetric.parse("Prefix")).isEqualTo(AnswerMetric.PREFIX);
        assertThatThrownBy(() -> AnswerMetric.parse("fuzzy")).hasMessageContaining("exact, prefix or contains");
    }

    private static String json(String k1, String v1, String k2, String v2) {
        var node = dev.slmops.model.format.JsonFiles.mapper().createObjectNode().put(k1, v1).put(k2, v2);
        return node.toString();
    }
}
