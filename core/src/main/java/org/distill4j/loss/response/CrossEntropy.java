package org.distill4j.loss.response;

import ai.djl.ndarray.NDArray;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;

/** Cross-entropy with hard labels, batch mean: training without distillation. */
public final class CrossEntropy implements DistillationLoss {
    public static final String TERM = "ce";

    /** {@code −mean_i log softmax(z_i)[y_i]}. */
    public static NDArray of(NDArray logits, NDArray labels) {
        NDArray logp = logits.logSoftmax(1);
        return logp.mul(labels.oneHot((int) logits.getShape().get(1))).sum(new int[] {1}).mean().neg();
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        return LossValue.of(TERM, of(student.logits(), batch.labels()));
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }
}
