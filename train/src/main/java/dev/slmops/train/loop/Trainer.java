package dev.slmops.train.loop;

import dev.slmops.train.Example;
import dev.slmops.train.Loss;
import dev.slmops.train.Parameters;
import dev.slmops.train.Trainable;
import dev.slmops.train.checkpoint.AtomicFiles;
import dev.slmops.train.checkpoint.Checkpoint;
import dev.slmops.train.checkpoint.CheckpointStore;
import dev.slmops.train.checkpoint.TrainerState;
import dev.slmops.train.optim.AdamW;
import dev.slmops.train.optim.GradClip;
import dev.slmops.train.optim.LrSchedule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The training loop over a {@link Trainable}: seeded shuffling per epoch, micro-batches with gradient accumulation,
 * loss averaged over every target token of the optimizer step, global-norm clipping, AdamW with a warmup schedule,
 * evaluation every N steps with early stopping and a best-model snapshot, checkpoints every N steps, metrics.jsonl,
 * loss.svg and a progress display.
 *
 * <p>Outputs under {@code outputDir}: {@code checkpoint-<step>/} (full, resumable), {@code best-model/} (values of
 * the best evaluation), {@code metrics.jsonl}, {@code loss.svg}. Everything a step computes depends only on the
 * checkpointed state, so N steps + resume + N steps equals 2N steps bit for bit.
 */
public final class Trainer {
    /** Called after each optimizer step and evaluation (tests use it to stop or crash a run at a given step). */
    public interface Listener {
        default void afterStep(long step, double loss) {
        }

        default void afterEvaluation(long step, Loss loss) {
        }
    }

    public static final String BEST_MODEL_DIR = "best-model";
    public static final String METRICS_FILE = "metrics.jsonl";
    public static final String LOSS_CURVE_FILE = "loss.svg";

    private final Trainable model;
    private final List<Example> train;
    private final List<Example> eval;
    private final TrainingConfig config;
    private final Path outputDir;
    private Progress progress = Progress.silent();
    private Listener listener = new Listener() {
    };
    private volatile boolean stopRequested;
    private dev.slmops.tensor.parallel.WorkerPool pool;

    public Trainer(Trainable model, List<Example> train, List<Example> eval, TrainingConfig config, Path outputDir) {
        this.model = model;
        this.train = List.copyOf(train);
        this.eval = List.copyOf(eval);
        this.config = config.validate();
        this.outputDir = outputDir;
        if (train.isEmpty()) throw new IllegalArgumentException("the training data has no examples");
    }

    public Trainer progress(Progress p) {
        this.progress = p;
        return this;
    }

    /** Threads for the optimizer, clipping and gradient scaling (null, the default: the calling thread). */
    public Trainer pool(dev.slmops.tensor.parallel.WorkerPool p) {
        this.pool = p;
        return this;
    }

    public Trainer listener(Listener l) {
        this.listener = l;
        return this;
    }

    /**
     * Asks a running {@link #run} to stop after the step in progress, write a checkpoint and return (Ctrl-C; any
     * thread may call it). The result then says {@code interrupted}.
     */
    public void requestStop() {
        stopRequested = true;
    }

    /** Optimizer steps of the whole run: max steps, or epochs x steps per epoch. */
    public long totalSteps() {
        return config.maxSteps > 0 ? config.maxSteps
                : config.epochs * DataOrder.stepsPerEpoch(train.size(), config.batchSize, config.gradAccum);
    }

    /** Trains from scratch ({@code resumeFrom == null}) or from a checkpoint directory. */
    public TrainingResult run(Path resumeFrom) throws IOException {
        Files.createDirectories(outputDir);
        AtomicFiles.removeLeftovers(outputDir);
        Parameters params = model.parameters();
        String[] names = params.entries().stream().map(Parameters.Entry::name).toArray(String[]::new);
        String fingerprint = DataOrder.fingerprint(train);

        TrainerState state;
        AdamW optimizer;
        if (resumeFrom == null) {
            state = TrainerState.start(config.seed, fingerprint, settings());
            optimizer = new AdamW(config.adamW(), params.size());
        } else {
            Checkpoint c = CheckpointStore.load(resumeFrom);
            checkResumable(c, resumeFrom, params, names, fingerprint);
            System.arraycopy(c.values(), 0, params.values(), 0, params.size());
            optimizer = new AdamW(config.adamW(), c.firstMoment(), c.secondMoment(), c.state().globalStep());
            state = c.state();
            if (!state.settings().equals(settings())) {
                progress.message("warning: the settings changed since " + resumeFrom + " (then: " + state.settings()
                        + "; now: " + settings() + "); the run continues but will not match an uninterrupted one");
                state = new TrainerState(state.globalStep(), state.epoch(), state.stepInEpoch(), state.seed(), state.tokensSeen(),
                        state.bestEvalLoss(), state.bestStep(), state.evalsWithoutImprovement(), state.modelRandomState(),
                        state.dataFingerprint(), settings());
            }
            if (model instanceof RandomState r && state.modelRandomState().length > 0) r.restoreRandomState(state.modelRandomState());
            state = reconcileBestModel(state);
            progress.message("resumed from " + resumeFrom + " at step " + state.globalStep());
        }

        long total = totalSteps();
        LrSchedule schedule = new LrSchedule(config.scheduler, config.lr, config.warmupFor(total), total);
        MetricsLog metrics = MetricsLog.open(outputDir.resolve(METRICS_FILE), state.globalStep());
        long stepsPerEpoch = DataOrder.stepsPerEpoch(train.size(), config.batchSize, config.gradAccum);
        int[] order = DataOrder.permutation(state.seed(), state.epoch(), train.size());

        long startNanos = System.nanoTime(), startStep = state.globalStep(), tokensThisRun = 0;
        double lastLoss = Double.NaN;
        boolean stoppedEarly = false, interrupted = false;
        Path lastCheckpoint = null;
        while (state.globalStep() < total && !stoppedEarly && !interrupted) {
            if (state.stepInEpoch() == stepsPerEpoch) { // next epoch, new order
                state = with(state, state.globalStep(), state.epoch() + 1, 0, state.tokensSeen());
                order = DataOrder.permutation(state.seed(), state.epoch(), train.size());
            }
            StepOutcome done = optimizerStep(params, optimizer, schedule, order, state);
            state = with(state, state.globalStep() + 1, state.epoch(), state.stepInEpoch() + 1, state.tokensSeen() + done.tokens);
            tokensThisRun += done.tokens;
            lastLoss = done.loss.mean();
            double lr = done.lr, gradNorm = done.gradNorm;
            long step = state.globalStep();

            // ---- report
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            double tokensPerSecond = tokensThisRun / Math.max(elapsed, 1e-9);
            double eta = elapsed / (step - startStep) * (total - step);
            if (step % config.loggingSteps == 0 || step == total) {
                metrics.append(metrics.record(step)
                        .put("epoch", state.epoch() + (double) state.stepInEpoch() / stepsPerEpoch)
                        .put("loss", lastLoss).put("lr", lr).put("grad_norm", gradNorm)
                        .put("tokens", state.tokensSeen()).put("tokens_per_s", tokensPerSecond).put("elapsed_s", elapsed));
                progress.step(step, total, lastLoss, lr, tokensPerSecond, eta);
            }
            listener.afterStep(step, lastLoss);

            // ---- evaluate, early stopping, best model
            boolean last = step == total;
            if (!eval.isEmpty() && ((config.evalSteps > 0 && step % config.evalSteps == 0) || last)) {
                state = evaluateAndTrack(state, metrics, names, params);
                if (config.earlyStoppingPatience > 0 && state.evalsWithoutImprovement() >= config.earlyStoppingPatience) {
                    stoppedEarly = true;
                    progress.message("early stopping at step " + step + ": no improvement in "
                            + config.earlyStoppingPatience + " evaluations (best " + state.bestEvalLoss() + " at step " + state.bestStep() + ")");
                }
            }

            // ---- checkpoint
            interrupted = stopRequested && !last;
            if ((config.saveSteps > 0 && step % config.saveSteps == 0) || last || stoppedEarly || interrupted) {
                lastCheckpoint = save(state, names, params, optimizer);
                LossCurveSvg.write(metrics.file(), outputDir.resolve(LOSS_CURVE_FILE));
            }
        }
        if (lastCheckpoint == null) lastCheckpoint = save(state, names, params, optimizer); // a resumed finished run
        LossCurveSvg.write(metrics.file(), outputDir.resolve(LOSS_CURVE_FILE));
        if (interrupted) {
            progress.message("stopped at step " + state.globalStep() + " of " + total + " on request; " + lastCheckpoint
                    + " holds everything needed to continue (--resume)");
            return new TrainingResult(state.globalStep(), lastLoss, state.bestEvalLoss(), state.bestStep(), false, true,
                    lastCheckpoint, null);
        }

        Path best = outputDir.resolve(BEST_MODEL_DIR);
        boolean haveBest = !eval.isEmpty() && Files.isDirectory(best);
        if (haveBest && config.loadBestModelAtEnd) {
            TrainerState b = CheckpointStore.loadValuesInto(best, params.values());
            progress.message("loaded the best model (step " + b.globalStep() + ", eval loss "
                    + String.format(java.util.Locale.ROOT, "%.4f", b.bestEvalLoss()) + ")");
        }
        return new TrainingResult(state.globalStep(), lastLoss, state.bestEvalLoss(), state.bestStep(), stoppedEarly,
                false, lastCheckpoint, haveBest ? best : null);
    }

    /**
     * After resuming from a checkpoint older than the newest, best-model/ may hold a snapshot from the abandoned later
     * steps: it is dropped and the best is tracked afresh, so the model loaded at the end is one this run evaluated.
     */
    private TrainerState reconcileBestModel(TrainerState state) throws IOException {
        Path best = outputDir.resolve(BEST_MODEL_DIR);
        if (!Files.isDirectory(best) || CheckpointStore.readState(best).globalStep() == state.bestStep()) return state;
        progress.message("best-model/ came from steps after this checkpoint; it is dropped and the best is tracked afresh");
        AtomicFiles.remove(best);
        return withEval(state, Double.NaN, -1, 0);
    }

    /** What one optimizer step did. */
    private record StepOutcome(Loss loss, long tokens, double gradNorm, double lr) {
    }

    /**
     * One optimizer step: forward/backward over the step's micro-batches (gradients accumulate), the gradients divided
     * by the step's target-token count (the loss is a mean over every target token of the step), clipped, one AdamW
     * update at the scheduled learning rate. Nothing is updated when the loss or gradients are not finite.
     */
    private StepOutcome optimizerStep(Parameters params, AdamW optimizer, LrSchedule schedule, int[] order, TrainerState state) {
        params.zeroGrads();
        Loss loss = new Loss(0, 0);
        long tokens = 0;
        long firstMicro = state.stepInEpoch() * config.gradAccum;
        long microEnd = Math.min(firstMicro + config.gradAccum, DataOrder.microBatchesPerEpoch(train.size(), config.batchSize));
        for (long micro = firstMicro; micro < microEnd; micro++) {
            List<Example> batch = batch(order, micro);
            for (Example e : batch) tokens += e.tokens().length;
            loss = loss.plus(model.forwardBackward(batch));
        }
        if (loss.tokens() > 0) GradClip.scale(params.grads(), (float) (1.0 / loss.tokens()), pool);
        double gradNorm = GradClip.clip(params.grads(), config.maxGradNorm, pool);
        if (!Double.isFinite(gradNorm) || !Double.isFinite(loss.sum())) {
            throw new IllegalStateException("step " + (state.globalStep() + 1) + ": the loss or the gradients are not finite (loss "
                    + loss.mean() + ", gradient norm " + gradNorm + "); the parameters were not updated. Lower --lr "
                    + "or raise --warmup, and --resume from the last checkpoint");
        }
        double lr = schedule.lr(state.globalStep());
        if (loss.tokens() > 0) optimizer.step(params, lr, pool);
        else progress.message("step " + (state.globalStep() + 1) + ": no target tokens in the batch, no update");
        return new StepOutcome(loss, tokens, gradNorm, lr);
    }

    /** Evaluates, logs, updates the best loss and patience counter, and snapshots the values when they improved. */
    private TrainerState evaluateAndTrack(TrainerState state, MetricsLog metrics, String[] names, Parameters params) throws IOException {
        long step = state.globalStep();
        Loss l = evaluate();
        boolean improved = Double.isNaN(state.bestEvalLoss())
                || state.bestEvalLoss() - l.mean() > config.earlyStoppingThreshold;
        TrainerState next = improved
                ? withEval(state, l.mean(), step, 0)
                : withEval(state, state.bestEvalLoss(), state.bestStep(), state.evalsWithoutImprovement() + 1);
        metrics.append(metrics.record(step).put("eval_loss", l.mean()).put("eval_perplexity", l.perplexity()));
        progress.evaluation(step, l.mean(), l.perplexity(), improved);
        if (improved) {
            CheckpointStore.save(outputDir.resolve(BEST_MODEL_DIR), new Checkpoint(next, names, params.values(), new float[0], new float[0]));
        }
        listener.afterEvaluation(step, l);
        return next;
    }

    /** Validation loss over all validation examples, in micro-batches of the training batch size. */
    public Loss evaluate() {
        Loss total = new Loss(0, 0);
        for (int i = 0; i < eval.size(); i += config.batchSize) {
            total = total.plus(model.evaluate(eval.subList(i, Math.min(eval.size(), i + config.batchSize))));
        }
        return total;
    }

    private List<Example> batch(int[] order, long micro) {
        int from = (int) (micro * config.batchSize), to = Math.min(train.size(), from + config.batchSize);
        List<Example> b = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) b.add(train.get(order[i]));
        return b;
    }

    private Path save(TrainerState state, String[] names, Parameters params, AdamW optimizer) throws IOException {
        long[] rng = model instanceof RandomState r ? r.randomState() : new long[0];
        TrainerState s = new TrainerState(state.globalStep(), state.epoch(), state.stepInEpoch(), state.seed(),
                state.tokensSeen(), state.bestEvalLoss(), state.bestStep(), state.evalsWithoutImprovement(), rng,
                state.dataFingerprint(), state.settings());
        Path dir = CheckpointStore.directoryFor(outputDir, state.globalStep());
        CheckpointStore.save(dir, new Checkpoint(s, names, params.values(), optimizer.firstMoment(), optimizer.secondMoment()));
        CheckpointStore.prune(outputDir, config.saveTotalLimit);
        return dir;
    }

    /** The settings that decide which batches and learning rates the steps get (and so the parameters). */
    private String settings() {
        return String.format(java.util.Locale.ROOT, "batch-size=%d grad-accum=%d total-steps=%d lr=%s scheduler=%s warmup=%d "
                        + "weight-decay=%s max-grad-norm=%s betas=%s,%s eps=%s", config.batchSize, config.gradAccum, totalSteps(),
                config.lr, config.scheduler.name().toLowerCase(java.util.Locale.ROOT), config.warmupFor(totalSteps()),
                config.weightDecay, config.maxGradNorm, config.adamBeta1, config.adamBeta2, config.adamEpsilon);
    }

    private void checkResumable(Checkpoint c, Path dir, Parameters params, String[] names, String fingerprint) {
        if (!c.hasMoments()) {
            throw new IllegalArgumentException(dir + " holds model values only (a best-model snapshot); resume from a checkpoint-<step> directory");
        }
        if (c.values().length != params.size() || !Arrays.equals(c.entryNames(), names)) {
            throw new IllegalArgumentException(dir + " was written for another model or method (" + c.values().length
                    + " parameters in " + c.entryNames().length + " tensors; this run trains " + params.size() + " in "
                    + names.length + "): resume with the same --model, --method and LoRA settings");
        }
        if (!c.state().dataFingerprint().equals(fingerprint)) {
            throw new IllegalArgumentException(dir + " was written for other training data (" + c.state().dataFingerprint()
                    + ", now " + fingerprint + "): resume with the same --data, --seq-len and template");
        }
        if (c.state().seed() != config.seed) {
            throw new IllegalArgumentException(dir + " was written with --seed " + c.state().seed() + ", not " + config.seed
                    + ": resume with the same seed for the same data order");
        }
    }

    private static TrainerState with(TrainerState s, long globalStep, int epoch, long stepInEpoch, long tokensSeen) {
        return new TrainerState(globalStep, epoch, stepInEpoch, s.seed(), tokensSeen, s.bestEvalLoss(), s.bestStep(),
                s.evalsWithoutImprovement(), s.modelRandomState(), s.dataFingerprint(), s.settings());
    }

    private static TrainerState withEval(TrainerState s, double best, long bestStep, int sinceBest) {
        return new TrainerState(s.globalStep(), s.epoch(), s.stepInEpoch(), s.seed(), s.tokensSeen(), best, bestStep,
                sinceBest, s.modelRandomState(), s.dataFingerprint(), s.settings());
    }
}
