package org.distill4j.loss.response;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;

/**
 * Decoupled knowledge distillation (Zhao, Cui, Song, Qiu &amp; Liang 2022, "Decoupled Knowledge
 * Distillation", CVPR): the KD term split into a target-class part and a non-target part,
 * weighted separately, the terms {@code tckd = w(epoch)·T²·α·TCKD} and
 * {@code nckd = w(epoch)·T²·β·NCKD} (summed in that order; the method's objective,
 * {@link org.distill4j.method.Dkd#objective()}, adds {@code ceWeight·CE} before them), where
 * <ul>
 *   <li>TCKD = KL between the binary distributions {@code [p_y, 1 − p_y]} of teacher and
 *       student at temperature T (y the true label),
 *   <li>NCKD = KL between teacher and student distributions over the non-target classes only,
 *       renormalised (softmax of the non-target logits / T),
 * </ul>
 * both summed over classes and averaged over the batch. The non-target classes are selected
 * exactly (the reference code subtracts 1000 from the target logit instead, which is the same
 * up to float rounding).
 *
 * <p>Warm-up, as in the authors' code: the KD weight {@code w} rises linearly,
 * {@code w = min((epoch+1)/warmup, 1)} for 0-based epochs (their epochs count from 1), so the
 * first epoch uses {@code 1/warmup} and full weight is reached at epoch {@code warmup}. With
 * fewer training epochs than {@code warmup} the KD weight never reaches 1 (e.g. 10 epochs with
 * warm-up 20 end at 0.5). {@code warmup = 0} switches the ramp off. Until
 * {@link #startEpoch} is first called the weight is the first epoch's. Teacher logits are
 * detached.
 */
public final class DkdLoss implements DistillationLoss {
    private final double alpha;
    private final double beta;
    private final double temperature;
    private final int warmup;
    private double kdWeight;

    public DkdLoss(double alpha, double beta, double temperature, int warmup) {
        if (!(alpha >= 0) || !(beta >= 0) || !(temperature > 0) || warmup < 0
                || !Double.isFinite(alpha + beta + temperature)) {
            throw new IllegalArgumentException("dkd needs alpha, beta ≥ 0, temperature > 0 and warmup ≥ 0, got"
                    + " alpha=" + alpha + ", beta=" + beta + ", T=" + temperature + ", warmup=" + warmup);
        }
        this.alpha = alpha;
        this.beta = beta;
        this.temperature = temperature;
        this.warmup = warmup;
        this.kdWeight = warmupWeight(0, warmup);
    }

    /** The KD weight of 0-based {@code epoch}: {@code min((epoch+1)/warmup, 1)}, 1 without warm-up. */
    public static double warmupWeight(int epoch, int warmup) {
        return warmup == 0 ? 1.0 : Math.min(1.0, (epoch + 1.0) / warmup);
    }

    /** The KD weight currently applied. */
    public double kdWeight() {
        return kdWeight;
    }

    @Override
    public void startEpoch(int epoch, int epochs) {
        kdWeight = warmupWeight(epoch, warmup);
    }

    /**
     * Target-class KD: {@code KL([p_t,y, 1−p_t,y] ‖ [p_s,y, 1−p_s,y])} at temperature T, batch mean
     * (without the T² factor). {@code log(1 − p_y)} is a log-sum-exp over the other classes, so
     * a confident prediction does not lose it to rounding.
     */
    public static NDArray tckd(NDArray teacherLogits, NDArray studentLogits, NDArray labels, double temperature) {
        int classes = (int) studentLogits.getShape().get(1);
        NDArray target = labels.oneHot(classes);
        NDArray others = target.eq(0);
        BinaryLogs t = binaryLogs(teacherLogits, target, others, temperature);
        BinaryLogs s = binaryLogs(studentLogits, target, others, temperature);
        NDArray kl = t.target.exp().mul(t.target.sub(s.target)).add(t.rest.exp().mul(t.rest.sub(s.rest)));
        return Scalars.div(kl.sum(), studentLogits.getShape().get(0));
    }

    /**
     * Non-target KD: KL between softmax over the non-target logits / T of teacher and student,
     * summed over those classes, batch mean (without the T² factor).
     */
    public static NDArray nckd(NDArray teacherLogits, NDArray studentLogits, NDArray labels, double temperature) {
        long batch = studentLogits.getShape().get(0);
        int classes = (int) studentLogits.getShape().get(1);
        NDArray others = labels.oneHot(classes).eq(0);
        float invT = (float) (1.0 / temperature);
        NDArray logQt = Scalars.mul(teacherLogits, invT).booleanMask(others).reshape(batch, classes - 1).logSoftmax(1);
        NDArray logQs = Scalars.mul(studentLogits, invT).booleanMask(others).reshape(batch, classes - 1).logSoftmax(1);
        return Scalars.div(logQt.exp().mul(logQt.sub(logQs)).sum(), batch);
    }

    /** Per sample: log p_y and log(1 − p_y) at temperature T. */
    private record BinaryLogs(NDArray target, NDArray rest) {}

    private static BinaryLogs binaryLogs(NDArray logits, NDArray target, NDArray others, double temperature) {
        long batch = logits.getShape().get(0);
        long classes = logits.getShape().get(1);
        NDArray logp = Scalars.mul(logits, (float) (1.0 / temperature)).logSoftmax(1);
        NDArray rest = logp.booleanMask(others).reshape(batch, classes - 1);
        // log Σ exp, shifted by the (detached) row maximum: the shift cancels in value and gradient
        NDArray max = rest.max(new int[] {1}, true).stopGradient();
        NDArray logRest = rest.sub(max).exp().sum(new int[] {1}).log().add(max.squeeze(1));
        return new BinaryLogs(logp.mul(target).sum(new int[] {1}), logRest);
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        NDArray zs = student.logits();
        NDArray zt = teacher.outputs().logits().stopGradient();
        double scale = kdWeight * temperature * temperature;
        NDArray tckd = Scalars.mul(tckd(zt, zs, batch.labels(), temperature), (float) (scale * alpha));
        NDArray nckd = Scalars.mul(nckd(zt, zs, batch.labels(), temperature), (float) (scale * beta));
        Map<String, NDArray> terms = new LinkedHashMap<>();
        terms.put("tckd", tckd);
        terms.put("nckd", nckd);
        return LossValue.sum(terms);
    }
}
