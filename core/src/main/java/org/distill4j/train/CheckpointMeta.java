package org.distill4j.train;

import java.util.List;
import java.util.Map;
import org.distill4j.io.Provenance;
import org.distill4j.report.ModelResult;
import org.distill4j.report.Sitting;

/**
 * What a checkpoint says about its run besides the participants' state: the phase in progress,
 * each trainable participant's progress in it (position, running sums, finished epochs), the
 * models the run finished before it, the epoch's validation accuracy (NaN mid-epoch), what the
 * run was made from, and its sittings so far.
 *
 * @param phase the phase in progress
 * @param validationAccuracy mean validation accuracy at an epoch end, NaN mid-epoch
 * @param progress each trainable participant's progress, by participant name
 * @param completed the models finished before, in order
 * @param provenance the data, preprocessing, teacher and config digests the state was made with
 *     (null: not recorded)
 * @param sittings the run's sittings up to this checkpoint, the current one last
 */
public record CheckpointMeta(String phase, double validationAccuracy, Map<String, TrainingProgress> progress,
        List<ModelResult> completed, Provenance provenance, List<Sitting> sittings) {
    public CheckpointMeta {
        if (phase == null || phase.isBlank()) {
            throw new IllegalArgumentException("a checkpoint names its phase");
        }
        progress = progress == null ? Map.of() : new java.util.LinkedHashMap<>(progress);
        completed = completed == null ? List.of() : List.copyOf(completed);
        sittings = sittings == null ? List.of() : List.copyOf(sittings);
    }

    public CheckpointMeta(String phase, double validationAccuracy, Map<String, TrainingProgress> progress,
            List<ModelResult> completed) {
        this(phase, validationAccuracy, progress, completed, null, null);
    }
}
