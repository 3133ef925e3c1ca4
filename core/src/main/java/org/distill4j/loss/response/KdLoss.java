package org.distill4j.loss.response;

import ai.djl.ndarray.NDArray;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;

/**
 * Response-based knowledge distillation (Hinton, Vinyals &amp; Dean 2015, "Distilling the
 * Knowledge in a Neural Network"): the soft term {@code kd = α·T²·KL(p(z_t,T) ‖ p(z_s,T))}
 * alone. The method's objective ({@link org.distill4j.method.HintonKd#objective()}) adds
 * {@code (1−α)·CE(z_s, y)}, giving Hinton's {@code (1−α)·CE + α·T²·KL}.
 * The KL is a batch mean (sum over classes, divided by B). The {@code T²} factor keeps the
 * soft term's gradient scale independent of {@code T}. Teacher logits are detached.
 */
public final class KdLoss implements DistillationLoss {
    private final double temperature;
    private final double alpha;

    public KdLoss(double temperature, double alpha) {
        if (!(temperature > 0) || !(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("kd needs temperature > 0 and alpha in [0, 1], got T="
                    + temperature + ", alpha=" + alpha);
        }
        this.temperature = temperature;
        this.alpha = alpha;
    }

    /** {@code KL(softmax(t/T) ‖ softmax(s/T))} summed over classes, averaged over the batch. */
    public static NDArray klDivergence(NDArray teacherLogits, NDArray studentLogits, double temperature) {
        float invT = (float) (1.0 / temperature);
        NDArray logPt = Scalars.mul(teacherLogits, invT).logSoftmax(1);
        NDArray logPs = Scalars.mul(studentLogits, invT).logSoftmax(1);
        long batch = studentLogits.getShape().get(0);
        return Scalars.div(logPt.exp().mul(logPt.sub(logPs)).sum(), batch);
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        NDArray zs = student.logits();
        NDArray zt = teacher.outputs().logits().stopGradient();
        NDArray kd = Scalars.mul(klDivergence(zt, zs, temperature), (float) (alpha * temperature * temperature));
        return LossValue.of("kd", kd);
    }
}
