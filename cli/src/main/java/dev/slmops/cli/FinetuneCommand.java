package dev.slmops.cli;

import dev.slmops.train.Example;
import dev.slmops.train.Trainable;
import dev.slmops.train.checkpoint.CheckpointStore;
import dev.slmops.train.loop.Progress;
import dev.slmops.train.loop.Trainer;
import dev.slmops.train.loop.TrainingConfig;
import dev.slmops.train.loop.TrainingResult;
import dev.slmops.train.loop.ValidationSplit;
import dev.slmops.train.optim.LrSchedule;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        customSynopsis = {"slmops finetune --model M --data train.jsonl [--eval-data V.jsonl | --eval-split S] "
                + "[--method full|lora|qlora] --output DIR [options]",
                "slmops finetune --config recipe.yaml [options]"},
        description = {"Fine-tune a model on JSONL data: full, LoRA or QLoRA.",
                "Flags are named as in Hugging Face TrainingArguments / PEFT / Olive where those have one; "
                        + "--config recipe.yaml takes the same keys without the dashes (flags on the command line win).",
                "Writes under --output: the adapter (or model), checkpoint-<step>/ (resumable with --resume), "
                        + "best-model/, metrics.jsonl and loss.svg.",
                "A recipe with an 'adapters:' list (each a name and its own keys) trains several adapters on one "
                        + "base, loaded once, into <output>/<name>; a failing job is reported and the others kept."})
final class FinetuneCommand implements Callable<Integer> {
    /** The seven projections every supported architecture names the same way. */
    static final Set<String> PROJECTIONS = Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    static final Set<String> METHODS = Set.of("full", "lora", "qlora");

    /** The engine below the loop; null: a fresh {@link TrainingBackend} per run (tests put a small one here). */
    static FinetuneBackend backend = null;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", paramLabel = "RECIPE", description = "A YAML recipe with the same keys as these flags.")
    Path config;

    // ---- model and data
    @Option(names = {"-m", "--model"}, description = Models.DESCRIPTION)
    String model;
    @Option(names = "--data", description = "Training data: JSONL with text, messages, prompt/completion or input/output records.")
    Path data;
    @Option(names = "--eval-data", description = "Validation data (JSONL, same formats).")
    Path evalData;
    @Option(names = "--eval-split", description = "Hold out validation examples from --data: a fraction (0.05, 5%%) "
            + "or a slice (train[4096:4224], train[-128:]).")
    String evalSplit;
    @Option(names = "--train-split", description = "Train on a slice of --data only (train[:4096], train[:90%%]).")
    String trainSplit;
    @Option(names = "--skip-bad-records", arity = "0..1", fallbackValue = "true",
            description = "Skip (and count) JSONL records that cannot be read instead of stopping at the first.")
    boolean skipBadRecords;
    @Option(names = "--text-template", description = "A {field} template that makes the text of other JSONL records.")
    String textTemplate;
    @Option(names = "--completion-only-loss", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            description = "Loss on completion/assistant tokens only (default ${DEFAULT-VALUE}); false: on all tokens.")
    boolean completionOnlyLoss;
    @Option(names = "--seq-len", defaultValue = "512", description = "Tokens per example; longer ones are cut (default ${DEFAULT-VALUE}).")
    int seqLen;

    // ---- method
    @Option(names = "--method", defaultValue = "lora", description = "full, lora or qlora (default ${DEFAULT-VALUE}).")
    String method;
    @Option(names = "--lora-r", defaultValue = "16", description = "LoRA rank (default ${DEFAULT-VALUE}).")
    int loraR;
    @Option(names = "--lora-alpha", defaultValue = "32", description = "LoRA alpha; scaling alpha/r (default ${DEFAULT-VALUE}).")
    double loraAlpha;
    @Option(names = "--lora-dropout", defaultValue = "0.05", description = "Dropout on the LoRA input (default ${DEFAULT-VALUE}).")
    double loraDropout;
    @Option(names = "--target-modules", split = ",", defaultValue = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
            description = "Projections that get adapters (default: all seven).")
    List<String> targetModules;
    @Option(names = "--use-rslora", arity = "0..1", fallbackValue = "true", description = "rsLoRA scaling alpha/sqrt(r).")
    boolean useRslora;
    @Option(names = "--modules-to-save", split = ",", description = "Modules trained whole beside the adapters and "
            + "saved in the adapter, matched as PEFT does (lm_head, embed_tokens, norm = every norm).")
    List<String> modulesToSave = new ArrayList<>();
    @Option(names = {"--quant-type", "--qlora-type"}, defaultValue = "q4_0", description = "qlora: type an F32/F16/BF16 base "
            + "is quantized to at load (a quantized base stays as stored) (default ${DEFAULT-VALUE}).")
    String quantType;
    @Option(names = "--merge", arity = "0..1", fallbackValue = "true",
            description = "lora/qlora: also write the base with the adapter merged (merged/, HF safetensors).")
    boolean merge;
    @Option(names = "--save-gguf", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            description = "lora/qlora: also write adapter.gguf, llama.cpp's LoRA format (default ${DEFAULT-VALUE}).")
    boolean saveGguf;
    @Option(names = {"--force", "--overwrite-output-dir"}, arity = "0..1", fallbackValue = "true",
            description = "Start afresh in an --output a previous run used: its checkpoints, best-model and outputs "
                    + "are replaced (without it such an output is refused).")
    boolean force;
    @Option(names = {"-t", "--threads"}, defaultValue = "0", description = "Compute threads (default: all cores). "
            + "With several, float sums may be ordered differently from run to run; 1 makes runs repeat bit for bit.")
    int threads;
    @Option(names = "--save-dtype", defaultValue = "f32", description = "Weights of a saved full model or merged model: "
            + "f32, f16 or bf16 (default ${DEFAULT-VALUE}).")
    String saveDtype;

    // ---- optimisation
    @Option(names = {"--lr", "--learning-rate"}, description = "Peak learning rate (default 2e-4 for lora/qlora, 5e-5 for full).")
    Double lr;
    @Option(names = {"--epochs", "--num-train-epochs"}, defaultValue = "3", description = "Passes over the data (default ${DEFAULT-VALUE}).")
    int epochs;
    @Option(names = "--max-steps", defaultValue = "-1", description = "Optimizer steps; > 0 overrides --epochs.")
    long maxSteps;
    @Option(names = {"--batch-size", "--per-device-train-batch-size"}, defaultValue = "8", description = "Examples per micro-batch (default ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = {"--grad-accum", "--gradient-accumulation-steps"}, defaultValue = "1", description = "Micro-batches per optimizer step (default ${DEFAULT-VALUE}).")
    int gradAccum;
    @Option(names = "--warmup", defaultValue = "0", description = "Warmup: steps (100) or a ratio of all steps (0.03).")
    String warmup;
    @Option(names = {"--scheduler", "--lr-scheduler-type"}, defaultValue = "linear", description = "constant, linear or cosine (default ${DEFAULT-VALUE}).")
    String scheduler;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay, not on biases and norms (default ${DEFAULT-VALUE}).")
    double weightDecay;
    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Clip gradients to this global norm; 0: off (default ${DEFAULT-VALUE}).")
    double maxGradNorm;
    @Option(names = "--adam-beta1", defaultValue = "0.9", description = "AdamW beta1 (default ${DEFAULT-VALUE}).")
    double adamBeta1;
    @Option(names = "--adam-beta2", defaultValue = "0.999", description = "AdamW beta2 (default ${DEFAULT-VALUE}).")
    double adamBeta2;
    @Option(names = "--adam-epsilon", defaultValue = "1e-8", description = "AdamW epsilon (default ${DEFAULT-VALUE}).")
    double adamEpsilon;
    @Option(names = {"--grad-checkpointing", "--gradient-checkpointing"}, arity = "0..1", fallbackValue = "true",
            description = "Recompute activations per layer in backward (less memory, ~30%% more time).")
    boolean gradCheckpointing;

    // ---- evaluation, checkpoints, output
    @Option(names = "--eval-steps", defaultValue = "0", description = "Evaluate every N steps; 0: at the end only.")
    long evalSteps;
    @Option(names = "--early-stopping-patience", defaultValue = "0", description = "Stop after N evaluations without improvement; 0: off.")
    int earlyStoppingPatience;
    @Option(names = "--early-stopping-threshold", defaultValue = "0", description = "Minimum fall of the validation loss that counts.")
    double earlyStoppingThreshold;
    @Option(names = "--load-best-model-at-end", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            description = "Keep the weights of the best evaluation (default ${DEFAULT-VALUE}).")
    boolean loadBestModelAtEnd;
    @Option(names = "--save-steps", defaultValue = "500", description = "Checkpoint every N steps; 0: at the end only (default ${DEFAULT-VALUE}).")
    long saveSteps;
    @Option(names = "--save-total-limit", defaultValue = "2", description = "Keep the newest N checkpoints; 0: all (default ${DEFAULT-VALUE}).")
    int saveTotalLimit;
    @Option(names = "--logging-steps", defaultValue = "1", description = "A progress line and metrics record every N steps.")
    long loggingSteps;
    @Option(names = "--seed", defaultValue = "42", description = "Seed for data order, splits, adapter init and dropout.")
    long seed;
    @Option(names = {"-o", "--output", "--output-dir"}, description = "Output directory.")
    Path output;
    @Option(names = {"--resume", "--resume-from-checkpoint"}, arity = "0..1", fallbackValue = "latest", paramLabel = "CHECKPOINT",
            description = "Continue a stopped run: from the newest checkpoint in --output, or from the given one.")
    String resume;

    @Override
    public Integer call() throws Exception {
        if (config != null) {
            FinetuneRecipe.Recipe recipe = FinetuneRecipe.read(config, spec);
            if (!recipe.jobs().isEmpty()) return FinetuneJobs.run(this, recipe);
            return withArguments(List.of(recipe.args(), commandLineArguments())).train();
        }
        return train();
    }

    /** The flags given on the command line (but --config), as arguments a new parse takes. */
    List<String> commandLineArguments() {
        List<String> args = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            if (o.longestName().equals("--config")) continue;
            if (o.originalStringValues().isEmpty()) args.add(o.longestName());
            for (String v : o.originalStringValues()) args.add(o.longestName() + "=" + v);
        }
        return args;
    }

    /**
     * A command parsed from layers of arguments, later layers winning: an option a layer names replaces what the
     * layers before gave it (a list too: a recipe's target-modules are not added to the command line's).
     */
    FinetuneCommand withArguments(List<List<String>> layers) {
        List<String[]> kept = new ArrayList<>(); // {option's longest name, argument}
        for (List<String> layer : layers) {
            Set<String> named = new java.util.HashSet<>();
            for (String a : layer) named.add(optionOf(a));
            kept.removeIf(k -> named.contains(k[0]));
            for (String a : layer) kept.add(new String[] {optionOf(a), a});
        }
        FinetuneCommand merged = new FinetuneCommand();
        CommandLine cl = new CommandLine(merged);
        cl.setOverwrittenOptionsAllowed(true);
        cl.setOut(spec.commandLine().getOut());
        cl.setErr(spec.commandLine().getErr());
        cl.parseArgs(kept.stream().map(k -> k[1]).toArray(String[]::new));
        return merged;
    }

    private String optionOf(String arg) {
        String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
        CommandLine.Model.OptionSpec o = spec.findOption(name);
        return o == null ? name : o.longestName();
    }

    int train() throws Exception {
        TrainingBackend own = backend != null ? null : newBackend();
        try {
            return train(own != null ? own : backend);
        } finally {
            if (own != null) own.close();
        }
    }

    TrainingBackend newBackend() {
        return new TrainingBackend(w -> spec.commandLine().getErr().println("warning: " + w));
    }

    /** One run on {@code engine} (which a recipe of several adapters shares, base and all). */
    int train(FinetuneBackend engine) throws Exception {
        FinetuneSpec s = finetuneSpec();
        TrainingConfig tc = trainingConfig();
        Path resumeFrom = resumeCheckpoint();
        return train(engine, s, tc, resumeFrom);
    }

    private int train(FinetuneBackend engine, FinetuneSpec s, TrainingConfig tc, Path resumeFrom) throws Exception {
        Trainable trainable = engine.load(s);
        List<Example> all = engine.readData(data, s, trainable);
        List<Example> trainSet = trainSplit == null ? all : ValidationSplit.parseSlice(trainSplit, "--train-split").select(all);
        List<Example> evalSet = List.of();
        if (evalData != null) {
            evalSet = engine.readData(evalData, s, trainable);
        } else if (evalSplit != null) {
            ValidationSplit split = ValidationSplit.parse(evalSplit);
            if (trainSplit != null && split instanceof ValidationSplit.Slice evalSlice) { // two slices of the same file
                int[] t = ValidationSplit.parseSlice(trainSplit, "--train-split").range(all.size()), e = evalSlice.range(all.size());
                if (t[0] < e[1] && e[0] < t[1]) {
                    throw new IllegalArgumentException("--train-split " + trainSplit + " and --eval-split " + evalSplit
                            + " overlap (examples " + Math.max(t[0], e[0]) + ".." + (Math.min(t[1], e[1]) - 1) + " of " + all.size() + ")");
                }
                evalSet = evalSlice.select(all);
            } else {
                var parts = split.apply(trainSet, seed);
                trainSet = parts.train();
                evalSet = parts.validation();
            }
        }
        if (trainSet.isEmpty()) throw new IllegalArgumentException("no training examples left in " + data + " after the splits");
        if (resumeFrom == null && force) startAfresh(); // only now: a run that fails to start leaves the old one
        Progress progress = Progress.to(spec.commandLine().getErr());
        Trainer trainer = new Trainer(trainable, trainSet, evalSet, tc, output).progress(progress)
                .pool(engine.pool(trainable));
        progress.message(String.format(Locale.ROOT, "%s fine-tuning: %d parameters trained, %d training and %d validation examples, %d steps",
                method, trainable.parameters().size(), trainSet.size(), evalSet.size(), trainer.totalSteps()));
        TrainingResult r = runStoppingOnCtrlC(trainer, resumeFrom);
        if (r.interrupted()) return 130;
        List<Path> written = engine.saveOutputs(trainable, s, output);
        progress.message(String.format(Locale.ROOT, "done: %d steps, last train loss %.4f%s%s", r.steps(), r.lastTrainLoss(),
                Double.isNaN(r.bestEvalLoss()) ? "" : String.format(Locale.ROOT, ", best eval loss %.4f (perplexity %.3f) at step %d",
                        r.bestEvalLoss(), Math.exp(r.bestEvalLoss()), r.bestStep()),
                r.stoppedEarly() ? " (stopped early)" : ""));
        for (Path p : written) System.out.println(p);
        return 0;
    }

    /**
     * Runs the trainer with a shutdown hook: Ctrl-C (SIGINT/SIGTERM) asks it to finish the step in progress and write
     * a checkpoint, and the JVM waits for that (up to 10 minutes) before it exits.
     */
    static TrainingResult runStoppingOnCtrlC(Trainer trainer, Path resumeFrom) throws java.io.IOException {
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                finished.await(10, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "finetune-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return trainer.run(resumeFrom);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the checkpoint is written
            }
        }
    }

    /** Validates model/data/method options into the spec the backend gets. */
    FinetuneSpec finetuneSpec() throws java.io.IOException {
        if (model == null) throw new IllegalArgumentException("--model is required (a Hugging Face directory, a .gguf file, an alias or a pulled hub id)");
        if (data == null) throw new IllegalArgumentException("--data is required (a JSONL file)");
        if (output == null) throw new IllegalArgumentException("--output is required (the directory to write)");
        Path modelPath = Models.resolve(model);
        if (!Files.isRegularFile(data)) throw new IllegalArgumentException("--data " + data + ": no such file");
        if (evalData != null && !Files.isRegularFile(evalData)) throw new IllegalArgumentException("--eval-data " + evalData + ": no such file");
        if (evalData != null && evalSplit != null) throw new IllegalArgumentException("give --eval-data or --eval-split, not both");
        if (evalSplit != null) ValidationSplit.parse(evalSplit);
        if (trainSplit != null) ValidationSplit.parseSlice(trainSplit, "--train-split");
        String m = method.trim().toLowerCase(Locale.ROOT);
        if (!METHODS.contains(m)) throw new IllegalArgumentException("--method " + method + ": expected full, lora or qlora");
        method = m;
        if (seqLen < 2) throw new IllegalArgumentException("--seq-len must be >= 2, got " + seqLen);
        if (!m.equals("full")) {
            if (loraR < 1) throw new IllegalArgumentException("--lora-r must be >= 1, got " + loraR);
            if (!(loraAlpha > 0)) throw new IllegalArgumentException("--lora-alpha must be > 0, got " + loraAlpha);
            if (!(loraDropout >= 0 && loraDropout < 1)) throw new IllegalArgumentException("--lora-dropout must be in [0, 1), got " + loraDropout);
            if (targetModules.isEmpty()) throw new IllegalArgumentException("--target-modules is empty: name at least one projection");
            for (String t : targetModules) {
                if (!PROJECTIONS.contains(t.trim())) {
                    throw new IllegalArgumentException("--target-modules: unknown module '" + t + "'; expected some of "
                            + "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj");
                }
            }
            for (String t : modulesToSave) {
                if (t.isBlank()) throw new IllegalArgumentException("--modules-to-save has an empty name");
            }
        } else if (!modulesToSave.isEmpty()) {
            throw new IllegalArgumentException("--modules-to-save is for lora/qlora (full fine-tuning trains every module)");
        }
        if (!Set.of("f32", "f16", "bf16").contains(saveDtype.trim().toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("--save-dtype " + saveDtype + ": expected f32, f16 or bf16");
        }
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0 (0: all cores), got " + threads);
        if (merge && m.equals("full")) throw new IllegalArgumentException("--merge is for lora/qlora (full fine-tuning writes the whole model)");
        if (m.equals("qlora") && !Set.of("q4_0", "q4_1", "q8_0", "q4_k", "q5_k", "q6_k").contains(quantType.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("--quant-type " + quantType + ": expected q4_0, q4_1, q8_0, q4_k, q5_k or q6_k");
        }
        return new FinetuneSpec(modelPath, m, loraR, loraAlpha, loraDropout, targetModules.stream().map(String::trim).toList(),
                useRslora, modulesToSave.stream().map(String::trim).toList(), quantType.toLowerCase(Locale.ROOT), seqLen, gradCheckpointing,
                completionOnlyLoss, textTemplate, skipBadRecords, seed, merge, saveDtype.trim().toLowerCase(Locale.ROOT),
                threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), saveGguf);
    }

    /** The loop's settings, checked (messages name the flags). */
    TrainingConfig trainingConfig() {
        TrainingConfig c = new TrainingConfig();
        c.epochs = epochs;
        c.maxSteps = maxSteps;
        c.batchSize = batchSize;
        c.gradAccum = gradAccum;
        c.lr = lr != null ? lr : (method.equals("full") ? 5e-5 : 2e-4);
        c.scheduler = LrSchedule.Kind.parse(scheduler);
        try {
            if (warmup.contains(".") || warmup.toLowerCase(Locale.ROOT).contains("e")) c.warmupRatio = Double.parseDouble(warmup);
            else c.warmupSteps = Long.parseLong(warmup);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--warmup '" + warmup + "': expected steps (100) or a ratio (0.03)");
        }
        c.weightDecay = weightDecay;
        c.maxGradNorm = maxGradNorm;
        c.adamBeta1 = adamBeta1;
        c.adamBeta2 = adamBeta2;
        c.adamEpsilon = adamEpsilon;
        c.evalSteps = evalSteps;
        c.saveSteps = saveSteps;
        c.saveTotalLimit = saveTotalLimit;
        c.loggingSteps = loggingSteps;
        c.earlyStoppingPatience = earlyStoppingPatience;
        c.earlyStoppingThreshold = earlyStoppingThreshold;
        c.loadBestModelAtEnd = loadBestModelAtEnd;
        c.seed = seed;
        if (evalSteps > 0 && evalData == null && evalSplit == null) {
            throw new IllegalArgumentException("--eval-steps needs validation data: give --eval-data or --eval-split");
        }
        if (earlyStoppingPatience > 0 && evalData == null && evalSplit == null) {
            throw new IllegalArgumentException("--early-stopping-patience needs validation data: give --eval-data or --eval-split");
        }
        return c.validate();
    }

    /** The checkpoint to resume from, or null; a fresh run refuses an output that already holds checkpoints. */
    Path resumeCheckpoint() throws java.io.IOException {
        dev.slmops.train.checkpoint.AtomicFiles.removeLeftovers(output); // finish what a killed run left half-renamed
        if (resume == null && force) return null; // what is there goes once the model and data are loaded
        if (resume == null) {
            List<String> finished = finishedOutputs(output);
            if (!finished.isEmpty()) {
                throw new IllegalArgumentException("--output " + output + " already holds a finished run's " + String.join(", ", finished)
                        + ": pass --force to replace it, or choose another --output");
            }
            if (!CheckpointStore.list(output).isEmpty()) {
                throw new IllegalArgumentException("--output " + output + " already holds checkpoints of a run: pass --resume "
                        + "to continue it, or choose another --output");
            }
            return null;
        }
        if (resume.equals("latest")) {
            return CheckpointStore.latest(output).orElseThrow(() -> new IllegalArgumentException(
                    "--resume: no checkpoint-<step> directory in " + output + " to continue from"));
        }
        Path p = Path.of(resume);
        if (!Files.isDirectory(p)) throw new IllegalArgumentException("--resume " + resume + ": no such checkpoint directory");
        return p;
    }

    /** What {@code slmops finetune} writes at the end of a run, by name under --output. */
    static final List<String> OUTPUTS = List.of("adapter", "adapter.gguf", "merged", "model");

    /** The outputs a finished run left in {@code dir} (empty when there are none). */
    static List<String> finishedOutputs(Path dir) {
        return OUTPUTS.stream().filter(n -> Files.exists(dir.resolve(n))).map(n -> n + (Files.isDirectory(dir.resolve(n)) ? "/" : "")).toList();
    }

    /**
     * --force on a fresh run: what an earlier run left in --output goes (its checkpoints, best model and outputs),
     * once the model and data have loaded (so a run that fails to start loses nothing).
     */
    private void startAfresh() throws java.io.IOException {
        List<Path> old = new ArrayList<>(CheckpointStore.list(output));
        old.add(output.resolve(dev.slmops.train.loop.Trainer.BEST_MODEL_DIR));
        for (String n : OUTPUTS) old.add(output.resolve(n));
        for (Path p : old) dev.slmops.train.checkpoint.AtomicFiles.remove(p);
    }
}
