package org.distill4j.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a phase's training stands: the next (epoch, batch) to run, the running sums of the
 * epoch in progress, the summaries of finished epochs, skipped batches and time spent.
 * Saved in checkpoints, so a resumed run reports exactly what an uninterrupted one would.
 */
public record TrainingProgress(
        int epoch,
        int batch,
        double lossSum,
        Map<String, Double> termSums,
        long correct,
        long seen,
        int skippedBatches,
        List<EpochSummary> history,
        double seconds) {
    public TrainingProgress {
        termSums = new LinkedHashMap<>(termSums);
        history = List.copyOf(history);
    }

    public static TrainingProgress start() {
        return new TrainingProgress(0, 0, 0, Map.of(), 0, 0, 0, List.of(), 0);
    }
}
