package dev.slmops.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.workflows.eval.AnswerMetric;
import dev.slmops.workflows.eval.TaskAccuracy;
import dev.slmops.workflows.eval.TaskItems;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Task accuracy: greedy answers to the questions of a JSONL file, scored against their answers.",
                "prompt/completion and input/output records: the prompt is asked as the trainer saw it (with BOS; "
                        + "--chat: as a user turn in the chat template), the completion is the answer. messages "
                        + "records: the last assistant turn is the answer, the turns before it the question.",
                "Prints accuracy with a 95% Wilson interval and a few failures (--json: one JSON object)."})
final class TaskEvalCommand implements Callable<Integer> {

    @Mixin
    RunOptions run;


    @Option(names = "--data", required = true, description = "Test questions: JSONL with prompt/completion, input/output or messages records.")
    Path data;

    @Option(names = "--metric", defaultValue = "exact",
            description = "exact (trimmed answer equals the reference), prefix (starts with it) or contains (default ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--max-tokens", defaultValue = "32", description = "Tokens generated per answer at most (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--chat", description = "Ask prompt/completion records as a user turn in the model's chat template.")
    boolean chat;

    @Option(names = "--limit", defaultValue = "0", description = "Score the first N records only (default: all).")
    int limit;

    @Option(names = "--batch", defaultValue = "16", description = "Questions decoded together per forward pass (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--show-failures", defaultValue = "5", description = "Failures to print (default ${DEFAULT-VALUE}).")
    int showFailures;

    @Option(names = "--json", description = "Print the result as one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        AnswerMetric m = AnswerMetric.parse(metric);
        TaskAccuracy.Options options = new TaskAccuracy.Options(m, maxTokens, batch);
        try (LoadedModel model = run.load()) {
            Path adapter = run.adapter;
            LoraAdapter lora = model.adapter();
            List<TaskItems.Item> items = TaskItems.read(data, model.tokenizer(), model.chatTemplate(), chat, limit);
            System.err.printf(Locale.ROOT, "eval: %d questions from %s%s, metric %s, greedy, at most %d tokens%n",
                    items.size(), data, adapter == null ? "" : " under adapter " + adapter, m.label(), maxTokens);
            TaskAccuracy.Result r = TaskAccuracy.run(model.transformer(), model.tokenizer(), items, lora, options,
                    p -> System.err.printf(Locale.ROOT, "\r%d/%d answered, %d correct", p.done(), p.total(), p.correct()));
            System.err.println();
            if (json) {
                System.out.println(JsonFiles.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(r)));
            } else {
                print(r);
            }
        }
        return 0;
    }

    private void print(TaskAccuracy.Result r) {
        System.out.println(r.summary());
        List<TaskAccuracy.Outcome> failures = r.failures();
        if (!failures.isEmpty() && showFailures > 0) {
            System.out.printf(Locale.ROOT, "failures (%d of %d shown):%n", Math.min(showFailures, failures.size()), failures.size());
            for (TaskAccuracy.Outcome o : failures.subList(0, Math.min(showFailures, failures.size()))) {
                System.out.printf(Locale.ROOT, "  line %d: %s -> expected %s, got %s%n", o.line(), quote(o.prompt()),
                        quote(o.reference()), quote(o.answer()));
            }
        }
        System.err.printf(Locale.ROOT, "%d answers, %d tokens in %.1f s (%.1f tokens/s)%n", r.count(), r.generatedTokens(),
                r.seconds(), r.generatedTokens() / Math.max(1e-9, r.seconds()));
    }

    private ObjectNode toJson(TaskAccuracy.Result r) {
        ObjectNode o = JsonFiles.mapper().createObjectNode();
        o.put("model", run.model);
        o.put("adapter", run.adapter == null ? null : run.adapter.toString());
        o.put("data", data.toString());
        o.put("metric", r.metric().label());
        o.put("count", r.count());
        o.put("correct", r.correct());
        o.put("accuracy", r.accuracy());
        o.putArray("ci95").add(r.interval().low()).add(r.interval().high());
        o.put("generated_tokens", r.generatedTokens());
        o.put("seconds", r.seconds());
        ArrayNode failures = o.putArray("failures");
        for (TaskAccuracy.Outcome f : r.failures().subList(0, Math.min(Math.max(0, showFailures), r.failures().size()))) {
            failures.addObject().put("line", f.line()).put("prompt", f.prompt()).put("reference", f.reference())
                    .put("answer", f.answer());
        }
        return o;
    }

    /** A one-line, quoted rendering of a prompt or answer (newlines shown as \n). */
    private static String quote(String s) {
        String one = s.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"");
        return "\"" + (one.length() > 80 ? "…" + one.substring(one.length() - 79) : one) + "\"";
    }
}
