package org.distill4j.config;

/**
 * When a run saves its state. A checkpoint is also written at every epoch end.
 *
 * @param everySteps also save every this many training steps within an epoch (0 = epoch ends only)
 * @param keepLast how many recent checkpoints to keep (the best by validation accuracy and the
 *     one a run resumed from are kept as well)
 */
public record CheckpointSpec(Integer everySteps, Integer keepLast) {
    public CheckpointSpec {
        everySteps = everySteps == null ? 200 : everySteps;
        keepLast = keepLast == null ? 2 : keepLast;
        if (everySteps < 0) {
            throw new IllegalArgumentException("everySteps: must be ≥ 0, 0 meaning epoch ends only (got " + everySteps + ")");
        }
        if (keepLast < 1 || keepLast > 1000) {
            throw new IllegalArgumentException("keepLast: must be in [1, 1000] (got " + keepLast + ")");
        }
    }

    public static CheckpointSpec defaults() {
        return new CheckpointSpec(null, null);
    }
}
