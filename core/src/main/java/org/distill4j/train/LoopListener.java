package org.distill4j.train;

import java.io.IOException;
import java.util.List;
import org.distill4j.loss.LossValue;

/**
 * Observes and extends the {@link Loop}, in the shape of DJL's {@code TrainingListener}:
 * checkpoints, validation, the non-finite guard, progress, fault injection and a scheme's own
 * epoch-end work (snapshot saving) are listeners, not branches inside the loop. Listeners are
 * called in the order they were given; every method has a no-op default.
 */
public interface LoopListener {
    /** The phase starts or resumes (participants opened and restored). */
    default void onPhaseStart(LoopState state) throws IOException {}

    /** A step is about to run (the policy has done its step-start work). */
    default void beforeStep(LoopState state, long step) {}

    /** The loss of one update, before it is differentiated; may return a replacement (fault injection). */
    default LossValue onLoss(LoopState state, Participant participant, LossValue value) {
        return value;
    }

    /**
     * After an update's backward pass, before its optimizer step: return false to skip the update
     * (its gradients are then cleared). May throw to stop the run.
     */
    default boolean onGradients(LoopState state, UpdateReport report) {
        return true;
    }

    /** A step has run; {@code meanLoss} is the mean of its updates' losses. */
    default void afterStep(LoopState state, long step, double meanLoss) throws IOException {}

    /** The epoch's last step has run: measure the participants ({@link LoopState#validated}). */
    default void onValidation(LoopState state, int epoch) {}

    /** The epoch is summarised (its summaries are in each participant's history). */
    default void onEpochEnd(LoopState state, int epoch, List<EpochSummary> summaries) throws IOException {}

    /** The phase has run to its end. */
    default void onPhaseEnd(LoopState state) throws IOException {}
}
