package dev.slmops.train.loop;

import java.nio.file.Path;

/**
 * How a run ended.
 *
 * @param steps          optimizer steps done in total (including those before a resume)
 * @param lastTrainLoss  mean training loss of the last step (nats per target token)
 * @param bestEvalLoss   best validation loss (NaN without validation data)
 * @param bestStep       step of the best validation loss (-1 without)
 * @param stoppedEarly   early stopping ended the run
 * @param interrupted    {@link Trainer#requestStop()} ended the run before its last step (resume to continue)
 * @param lastCheckpoint the checkpoint written at the end
 * @param bestModel      the best model's snapshot directory (null without validation data)
 */
public record TrainingResult(long steps, double lastTrainLoss, double bestEvalLoss, long bestStep, boolean stoppedEarly,
                             boolean interrupted,
                             Path lastCheckpoint, Path bestModel) {
}
