package dev.slmops.train.loop;

import dev.slmops.train.optim.AdamW;
import dev.slmops.train.optim.LrSchedule;

/**
 * The trainer loop's settings. Names follow Hugging Face TrainingArguments (in brackets) so recipes translate;
 * defaults are HF's unless said otherwise. Public fields keep recipes, flags and tests short; {@link #validate()}
 * checks them all and names the flag that is wrong.
 */
public final class TrainingConfig {
    /** [num_train_epochs] passes over the training data; ignored when maxSteps > 0. */
    public int epochs = 3;
    /** [max_steps] optimizer steps to run; > 0 overrides epochs (the data is cycled). */
    public long maxSteps = -1;
    /** [per_device_train_batch_size] examples per micro-batch (one forward/backward). */
    public int batchSize = 8;
    /** [gradient_accumulation_steps] micro-batches per optimizer step. */
    public int gradAccum = 1;
    /** [learning_rate] peak learning rate. */
    public double lr = 5e-5;
    /** [lr_scheduler_type] constant, linear or cosine. */
    public LrSchedule.Kind scheduler = LrSchedule.Kind.LINEAR;
    /** [warmup_steps] linear warmup; when 0, warmupRatio of the total steps is used. */
    public long warmupSteps = 0;
    /** [warmup_ratio] fraction of the total steps used for warmup when warmupSteps is 0. */
    public double warmupRatio = 0;
    /** [weight_decay] AdamW decoupled weight decay (not applied to biases and norms). */
    public double weightDecay = 0;
    /** [adam_beta1], [adam_beta2], [adam_epsilon]. */
    public double adamBeta1 = 0.9, adamBeta2 = 0.999, adamEpsilon = 1e-8;
    /** [max_grad_norm] clip gradients to this global L2 norm; 0 turns clipping off. */
    public double maxGradNorm = 1.0;
    /** [eval_steps] evaluate every N optimizer steps; 0: only at the end (when there is validation data). */
    public long evalSteps = 0;
    /** [save_steps] write a full checkpoint every N optimizer steps; 0: only at the end. Default 500 as HF. */
    public long saveSteps = 500;
    /** [save_total_limit] keep the newest N checkpoints (the best model is kept apart); 0 keeps all. */
    public int saveTotalLimit = 2;
    /** [logging_steps] a progress line and a metrics.jsonl record every N steps. HF: 500; here 1 (cheap, useful). */
    public long loggingSteps = 1;
    /** [early_stopping_patience] stop after N evaluations without improvement; 0 turns it off. */
    public int earlyStoppingPatience = 0;
    /** [early_stopping_threshold] how much the validation loss must fall to count as an improvement. */
    public double earlyStoppingThreshold = 0;
    /** [load_best_model_at_end] leave the parameters of the best evaluation in the model when training ends. */
    public boolean loadBestModelAtEnd = true;
    /** [seed] data order (and whatever the model seeds from it). */
    public long seed = 42;

    public AdamW.Config adamW() {
        return new AdamW.Config(adamBeta1, adamBeta2, adamEpsilon, weightDecay);
    }

    /** Warmup in steps for a run of {@code totalSteps} (HF: ceil(ratio * total) when only the ratio is set). */
    public long warmupFor(long totalSteps) {
        return warmupSteps > 0 ? warmupSteps : (long) Math.ceil(warmupRatio * totalSteps);
    }

    /** Checks every setting; the message names the flag ({@code --lr}) as the CLI spells it. */
    public TrainingConfig validate() {
        if (maxSteps <= 0 && epochs < 1) fail("--epochs must be >= 1 (or set --max-steps), got " + epochs);
        if (batchSize < 1) fail("--batch-size must be >= 1, got " + batchSize);
        if (gradAccum < 1) fail("--grad-accum must be >= 1, got " + gradAccum);
        if (!(lr > 0) || !Double.isFinite(lr)) fail("--lr must be a positive number, got " + lr);
        if (scheduler == null) fail("--scheduler must be constant, linear or cosine");
        if (warmupSteps < 0) fail("--warmup must be >= 0, got " + warmupSteps);
        if (!(warmupRatio >= 0 && warmupRatio < 1)) fail("--warmup as a ratio must be in [0, 1), got " + warmupRatio);
        if (!(weightDecay >= 0)) fail("--weight-decay must be >= 0, got " + weightDecay);
        if (!(adamBeta1 >= 0 && adamBeta1 < 1)) fail("--adam-beta1 must be in [0, 1), got " + adamBeta1);
        if (!(adamBeta2 >= 0 && adamBeta2 < 1)) fail("--adam-beta2 must be in [0, 1), got " + adamBeta2);
        if (!(adamEpsilon > 0)) fail("--adam-epsilon must be > 0, got " + adamEpsilon);
        if (!(maxGradNorm >= 0)) fail("--max-grad-norm must be >= 0 (0 turns clipping off), got " + maxGradNorm);
        if (evalSteps < 0) fail("--eval-steps must be >= 0, got " + evalSteps);
        if (saveSteps < 0) fail("--save-steps must be >= 0, got " + saveSteps);
        if (saveTotalLimit < 0) fail("--save-total-limit must be >= 0, got " + saveTotalLimit);
        if (loggingSteps < 1) fail("--logging-steps must be >= 1, got " + loggingSteps);
        if (earlyStoppingPatience < 0) fail("--early-stopping-patience must be >= 0, got " + earlyStoppingPatience);
        if (!(earlyStoppingThreshold >= 0)) fail("--early-stopping-threshold must be >= 0, got " + earlyStoppingThreshold);
        return this;
    }

    private static void fail(String message) {
        throw new IllegalArgumentException(message);
    }
}
