package org.distill4j.train;

/**
 * How long and how one network is trained.
 *
 * @param epochs passes over the training set, in [1, 10000]
 * @param batchSize samples per step, in [1, 65536]
 * @param optimizer {@code sgd} (default) or {@code adam}
 * @param schedule learning-rate schedule (default cosine, no warm-up)
 * @param clipGradNorm rescale gradients whose global L2 norm exceeds this (0 = off)
 * @param onNonFinite what a NaN/Inf loss or gradient does: {@code stop} the run (default) or
 *     {@code skip-batch} (no update; counted in the record)
 * @param augment random shifts/flips of the training inputs (default none); with augmentation a
 *     distilling student's teacher runs live on every augmented batch
 */
public record TrainSpec(Integer epochs, Integer batchSize, OptimizerSpec optimizer, ScheduleSpec schedule,
        Double clipGradNorm, NonFinitePolicy onNonFinite, org.distill4j.data.Augmentation augment) {
    /** What to do when a step's loss or gradient is not finite. */
    public enum NonFinitePolicy {
        @com.fasterxml.jackson.annotation.JsonProperty("stop") STOP,
        @com.fasterxml.jackson.annotation.JsonProperty("skip-batch") SKIP_BATCH
    }

    public TrainSpec(Integer epochs, Integer batchSize, OptimizerSpec optimizer, ScheduleSpec schedule) {
        this(epochs, batchSize, optimizer, schedule, null, null, null);
    }

    public TrainSpec {
        clipGradNorm = clipGradNorm == null ? 0.0 : clipGradNorm;
        onNonFinite = onNonFinite == null ? NonFinitePolicy.STOP : onNonFinite;
        augment = augment == null ? org.distill4j.data.Augmentation.NONE : augment;
        if (!(clipGradNorm >= 0) || clipGradNorm.isInfinite()) {
            throw new IllegalArgumentException("clipGradNorm: must be a finite number ≥ 0, 0 meaning off (got "
                    + clipGradNorm + ")");
        }
        epochs = epochs == null ? 10 : epochs;
        batchSize = batchSize == null ? 128 : batchSize;
        optimizer = optimizer == null ? new OptimizerSpec.Sgd(null, null, null) : optimizer;
        schedule = schedule == null ? ScheduleSpec.defaults() : schedule;
        if (epochs < 1 || epochs > 10000) {
            throw new IllegalArgumentException("epochs: must be in [1, 10000] (got " + epochs + ")");
        }
        if (batchSize < 1 || batchSize > 65536) {
            throw new IllegalArgumentException("batchSize: must be in [1, 65536] (got " + batchSize + ")");
        }
    }

    public TrainSpec withEpochs(int e) {
        return new TrainSpec(e, batchSize, optimizer, schedule, clipGradNorm, onNonFinite, augment);
    }
}
