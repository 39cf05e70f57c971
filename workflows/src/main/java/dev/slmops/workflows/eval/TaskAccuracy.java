package dev.slmops.workflows.eval;

import dev.slmops.model.engine.Transformer;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Task accuracy: greedy answers to held-out questions scored against their references, with a 95% Wilson
 * interval. Questions come from {@link TaskItems}; batches of {@code batch} questions are decoded together.
 */
public final class TaskAccuracy {
    private TaskAccuracy() {
    }

    /**
     * @param metric    how an answer is compared with the reference
     * @param maxTokens tokens generated per answer at most
     * @param batch     questions decoded together per forward pass
     */
    public record Options(AnswerMetric metric, int maxTokens, int batch) {
        public Options {
            if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
            if (batch < 1) throw new IllegalArgumentException("the batch must hold at least 1 question, got " + batch);
        }
    }

    /** One scored question. */
    public record Outcome(int line, String prompt, String reference, String answer, boolean correct) {
    }

    /**
     * @param outcomes every question in file order
     * @param seconds  wall time of the generation
     */
    public record Result(AnswerMetric metric, int correct, int count, WilsonInterval interval, List<Outcome> outcomes,
                         long generatedTokens, double seconds) {
        public double accuracy() {
            return count == 0 ? 0 : (double) correct / count;
        }

        public List<Outcome> failures() {
            return outcomes.stream().filter(o -> !o.correct()).toList();
        }

        /** {@code accuracy 0.8400 (84/100, 95% CI 0.7564-0.8990, exact)}. */
        public String summary() {
            return String.format(Locale.ROOT, "accuracy %.4f (%d/%d, 95%% CI %.4f-%.4f, %s)", accuracy(), correct, count,
                    interval.low(), interval.high(), metric.label());
        }
    }

    /** Progress after each batch: questions done so far and correct among them. */
    public record Progress(int done, int total, int correct) {
    }

    /** Scores every item; {@code adapter} may be null (the base model). */
    public static Result run(Transformer model, Tokenizer tok, List<TaskItems.Item> items, LoraAdapter adapter,
                             Options o, Consumer<Progress> progress) {
        if (items.isEmpty()) throw new IllegalArgumentException("no questions to score");
        BatchedGreedy greedy = new BatchedGreedy(model, tok);
        List<Outcome> outcomes = new ArrayList<>(items.size());
        int correct = 0;
        long generated = 0;
        long t0 = System.nanoTime();
        for (int from = 0; from < items.size(); from += o.batch()) {
            List<TaskItems.Item> group = items.subList(from, Math.min(items.size(), from + o.batch()));
            int[][] answers = greedy.generate(group.stream().map(TaskItems.Item::prompt).toList(), o.maxTokens(), adapter);
            for (int i = 0; i < group.size(); i++) {
                TaskItems.Item it = group.get(i);
                String answer = tok.decode(answers[i], true);
                boolean ok = o.metric().matches(answer, it.reference());
                if (ok) correct++;
                generated += answers[i].length;
                outcomes.add(new Outcome(it.line(), it.promptText(), it.reference(), answer, ok));
            }
            if (progress != null) progress.accept(new Progress(outcomes.size(), items.size(), correct));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Result(o.metric(), correct, items.size(), WilsonInterval.of95(correct, items.size()), outcomes,
                generated, seconds);
    }
}
