package org.distill4j.run;

import org.distill4j.train.EpochSummary;
import org.distill4j.train.TrainListener;

/**
 * Stops a run right after the checkpoint of one epoch end of one phase, as a crash there would
 * (the checkpoint is written before listeners hear of the epoch), so a test can resume it.
 */
final class Interruption implements TrainListener {
    static final class Stop extends RuntimeException {
        Stop(String where) {
            super("interrupted after " + where);
        }
    }

    private final String phase;
    private final int epoch;

    /** @param epoch 1-based epoch of {@code phase} after which to stop */
    Interruption(String phase, int epoch) {
        this.phase = phase;
        this.epoch = epoch;
    }

    @Override
    public void onEpochEnd(EpochSummary summary) {
        if (summary.phase().equals(phase) && summary.epoch() == epoch) {
            throw new Stop(phase + " epoch " + epoch);
        }
    }
}
