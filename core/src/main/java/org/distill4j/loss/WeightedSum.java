package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.response.CrossEntropy;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;

/**
 * The objective a participant minimises: {@code ceWeight·CE(z, y) + Σ_k term_k}, the task's
 * cross-entropy with hard labels composed with a distillation loss's already weighted terms.
 * Every method's objective is built here, so no loss writes its own cross-entropy term.
 *
 * <p>The total is summed left to right, cross-entropy first, then each term in the order the
 * loss reports them (float addition is not associative: this order is the one the losses used
 * when each wrote its own sum, so results are bit-identical to theirs). The cross-entropy term
 * is reported as {@code ce} even at weight 0 (so every epoch reports the same terms); without
 * labels in the batch and at weight 0 it is left out.
 */
public final class WeightedSum implements DistillationLoss {
    private final double ceWeight;
    private final DistillationLoss distillation;

    /**
     * @param ceWeight weight of the cross-entropy with labels, finite and ≥ 0
     * @param distillation the method's own terms, or null for cross-entropy alone
     */
    public WeightedSum(double ceWeight, DistillationLoss distillation) {
        if (!(ceWeight >= 0) || Double.isInfinite(ceWeight)) {
            throw new IllegalArgumentException("ceWeight: must be a finite number ≥ 0 (got " + ceWeight + ")");
        }
        this.ceWeight = ceWeight;
        this.distillation = distillation;
    }

    /** Cross-entropy alone: training without distillation. */
    public static WeightedSum crossEntropy() {
        return new WeightedSum(1, null);
    }

    public double ceWeight() {
        return ceWeight;
    }

    /** The method's own loss, or null. */
    public DistillationLoss distillation() {
        return distillation;
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        Map<String, NDArray> terms = new LinkedHashMap<>();
        NDArray total = null;
        if (ceWeight > 0 && !batch.hasLabels()) {
            throw new IllegalArgumentException("this objective weighs the cross-entropy with labels by " + ceWeight
                    + ", but the batch has no labels: set ceWeight 0 for an unlabelled transfer set");
        }
        if (batch.hasLabels()) {
            NDArray ce = CrossEntropy.of(student.logits(), batch.labels());
            total = ceWeight == 1 ? ce : Scalars.mul(ce, (float) ceWeight);
            terms.put(CrossEntropy.TERM, total);
        }
        if (distillation != null) {
            for (Map.Entry<String, NDArray> t : distillation.compute(student, teacher, batch).terms().entrySet()) {
                if (terms.containsKey(t.getKey())) {
                    throw new IllegalStateException("loss term '" + t.getKey() + "' is reported twice");
                }
                terms.put(t.getKey(), t.getValue());
                total = total == null ? t.getValue() : total.add(t.getValue());
            }
        }
        if (total == null) {
            throw new IllegalStateException("an objective with no cross-entropy and no distillation terms");
        }
        return new LossValue(total, terms);
    }

    @Override
    public Set<String> studentTaps() {
        return distillation == null ? Set.of() : distillation.studentTaps();
    }

    @Override
    public Set<String> teacherTaps() {
        return distillation == null ? Set.of() : distillation.teacherTaps();
    }

    @Override
    public boolean needsTeacher() {
        return distillation != null && distillation.needsTeacher();
    }

    @Override
    public void bind(Binding binding) {
        if (distillation != null) {
            distillation.bind(binding);
        }
    }

    @Override
    public void startEpoch(int epoch, int epochs) {
        if (distillation != null) {
            distillation.startEpoch(epoch, epochs);
        }
    }
}
