package org.distill4j.loss;

import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.model.Outputs;

/**
 * The objective a student minimises for one batch, given its own outputs, the teacher's
 * knowledge and the batch (labels). Declares which taps it reads so that schemes request
 * exactly those.
 */
public interface DistillationLoss {
    LossValue compute(Outputs student, Knowledge teacher, Batch batch);

    /** Taps read from the student besides the logits. */
    default Set<String> studentTaps() {
        return Set.of();
    }

    /** Taps read from the teacher besides the logits. */
    default Set<String> teacherTaps() {
        return Set.of();
    }

    /** Whether a teacher is needed at all. */
    default boolean needsTeacher() {
        return true;
    }

    /**
     * Called once before training, with both networks' tap shapes: checks the taps fit (errors
     * name both taps and their shapes) and registers trainable extras in
     * {@code binding.adapters()}. The engine is seeded, so adapters' initial weights are
     * reproducible.
     */
    default void bind(Binding binding) {}

    /** Called at the start of every epoch (0-based), also when a run resumes mid-epoch. */
    default void startEpoch(int epoch, int epochs) {}
}
