package org.distill4j.loss.feature;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;

/**
 * Supervision transfer across modalities (Gupta, Hoffman &amp; Malik 2016, "Cross Modal
 * Distillation for Supervision Transfer", CVPR): the student, which sees the other modality of
 * each paired sample, regresses the teacher's mid-level features through a learned regressor,
 * {@code hint = β·mean((r(v_s) − u_t)²)} ({@link FitNetLoss}'s term and regressor), and optionally
 * matches its soft outputs, {@code soft = γ·T²·KL(p(z_t,T) ‖ p(z_s,T))} (batch mean). It reads no
 * label: the objective of a cross-modal student is these terms alone (cross-entropy weight 0).
 */
public final class CrossModalLoss implements DistillationLoss {
    private final FitNetLoss hint;
    private final double soft;
    private final double temperature;

    /**
     * @param studentTap the student's tap that regresses the teacher's
     * @param teacherTap the teacher's mid-level tap
     * @param kernel regressor kernel for feature maps, 1 or 3
     * @param beta weight of the feature term, ≥ 0
     * @param soft weight γ of the soft-output term, ≥ 0 (0: features only, the paper's)
     * @param temperature its temperature, > 0
     */
    public CrossModalLoss(String studentTap, String teacherTap, int kernel, double beta, double soft,
            double temperature) {
        if (!(soft >= 0 && Double.isFinite(soft))) {
            throw new IllegalArgumentException("soft: must be finite and ≥ 0 (got " + soft + ")");
        }
        if (!(temperature > 0 && Double.isFinite(temperature))) {
            throw new IllegalArgumentException("temperature: must be > 0 (got " + temperature + ")");
        }
        this.hint = new FitNetLoss(studentTap, teacherTap, kernel, beta);
        this.soft = soft;
        this.temperature = temperature;
    }

    @Override
    public void bind(Binding binding) {
        hint.bind(binding);
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        Map<String, NDArray> terms = new LinkedHashMap<>(hint.compute(student, teacher, batch).terms());
        if (soft > 0) {
            NDArray kl = KdLoss.klDivergence(teacher.outputs().logits().stopGradient(), student.logits(), temperature);
            terms.put("soft", Scalars.mul(kl, (float) (soft * temperature * temperature)));
        }
        return LossValue.sum(terms);
    }

    @Override
    public Set<String> studentTaps() {
        return hint.studentTaps();
    }

    @Override
    public Set<String> teacherTaps() {
        return hint.teacherTaps();
    }
}
