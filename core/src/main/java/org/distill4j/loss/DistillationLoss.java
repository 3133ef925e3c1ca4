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
}
