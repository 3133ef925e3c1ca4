package org.distill4j.train;

import java.util.List;

/**
 * Says who learns at each step of a phase, from what, in which order: the updates of the step.
 * One loss updating one participant is the common case; peers in turn (online distillation),
 * alternating or min–max updates (adversarial, data-free) are other policies. A policy may do
 * work at a step's start (codistillation refreshes its stale copies) and at an epoch's start.
 */
public interface StepPolicy {
    /** Called at the start of every epoch (0-based), also when a run resumes mid-epoch. */
    default void startEpoch(int epoch, int epochs) {}

    /** The updates of the step {@code step} (0-based over the phase) at (epoch, batch), in order. */
    List<Update> step(long step, int epoch, int batch);

    /** One update at every step. */
    static StepPolicy every(Update update) {
        return (step, epoch, batch) -> List.of(update);
    }

    /**
     * The same updates at every step, in order, with {@code objective}'s epoch-start work (a
     * loss that changes with the epoch) at every epoch's start.
     */
    static StepPolicy every(List<Update> updates, org.distill4j.loss.DistillationLoss objective) {
        List<Update> fixed = List.copyOf(updates);
        return new StepPolicy() {
            @Override
            public void startEpoch(int epoch, int epochs) {
                objective.startEpoch(epoch, epochs);
            }

            @Override
            public List<Update> step(long step, int epoch, int batch) {
                return fixed;
            }
        };
    }
}
