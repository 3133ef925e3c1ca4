package org.distill4j.train;

import java.util.List;
import java.util.Map;
import org.distill4j.report.ModelResult;

/**
 * What a checkpoint says about its run besides the participants' state: the phase in progress,
 * each trainable participant's progress in it (position, running sums, finished epochs), the
 * models the run finished before it, and the epoch's validation accuracy (NaN mid-epoch).
 *
 * @param phase the phase in progress
 * @param validationAccuracy mean validation accuracy at an epoch end, NaN mid-epoch
 * @param progress each trainable participant's progress, by participant name
 * @param completed the models finished before, in order
 */
public record CheckpointMeta(String phase, double validationAccuracy, Map<String, TrainingProgress> progress,
        List<ModelResult> completed) {
    public CheckpointMeta {
        if (phase == null || phase.isBlank()) {
            throw new IllegalArgumentException("a checkpoint names its phase");
        }
        progress = progress == null ? Map.of() : new java.util.LinkedHashMap<>(progress);
        completed = completed == null ? List.of() : List.copyOf(completed);
    }
}
