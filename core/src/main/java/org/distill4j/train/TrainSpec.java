package org.distill4j.train;

/**
 * How long and how one network is trained.
 *
 * @param epochs passes over the training set, in [1, 10000]
 * @param batchSize samples per step, in [1, 65536]
 * @param optimizer {@code sgd} (default) or {@code adam}
 * @param schedule learning-rate schedule (default cosine, no warm-up)
 */
public record TrainSpec(Integer epochs, Integer batchSize, OptimizerSpec optimizer, ScheduleSpec schedule) {
    public TrainSpec {
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
        return new TrainSpec(e, batchSize, optimizer, schedule);
    }
}
