package dev.slmops.train.checkpoint;

/**
 * Everything besides tensors that a resumed run needs to continue bit for bit: where it is in the data order (the
 * order itself is a function of the seed and the epoch), the early-stopping bookkeeping and the trained model's own
 * random state (dropout), if it has one.
 *
 * @param globalStep              optimizer steps done
 * @param epoch                   current epoch (0-based)
 * @param stepInEpoch             optimizer steps done inside the current epoch
 * @param seed                    the data-order seed
 * @param tokensSeen              tokens processed so far (all positions of every example)
 * @param bestEvalLoss            best validation loss so far (NaN before the first evaluation)
 * @param bestStep                step of the best validation loss (-1 before the first evaluation)
 * @param evalsWithoutImprovement evaluations since the best one (early-stopping patience counter)
 * @param modelRandomState        the Trainable's random state (empty when it has none)
 * @param dataFingerprint         number of training examples and a hash of their tokens: a resumed run must see the same data
 * @param settings                the loop settings that shape the run (batch, accumulation, schedule), to warn when a
 *                                resumed run changes them
 */
public record TrainerState(long globalStep, int epoch, long stepInEpoch, long seed, long tokensSeen,
                           double bestEvalLoss, long bestStep, int evalsWithoutImprovement,
                           long[] modelRandomState, String dataFingerprint, String settings) {
    public static TrainerState start(long seed, String dataFingerprint, String settings) {
        return new TrainerState(0, 0, 0, seed, 0, Double.NaN, -1, 0, new long[0], dataFingerprint, settings);
    }
}
