package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.relation.SpLoss;
import org.distill4j.model.Outputs;

/**
 * {@code sp}: Tung &amp; Mori 2019 similarity-preserving distillation, see {@link SpLoss}. Its term
 * scales roughly as 1/B, so γ tuned at one batch size needs rescaling at another. Its objective is
 * {@code ceWeight·CE + sp}.
 *
 * @param studentTap student tap whose batch similarity is matched (default embedding; maps are flattened)
 * @param teacherTap teacher tap (default embedding)
 * @param gamma weight γ of the similarity term (default 3000, the paper's at B = 128)
 * @param ceWeight weight of the cross-entropy with labels in the objective (default 1)
 */
public record SimilarityPreserving(String studentTap, String teacherTap, Double gamma, Double ceWeight)
        implements MethodSpec {
    public SimilarityPreserving {
        studentTap = MethodChecks.tap(studentTap, Outputs.EMBEDDING, "studentTap");
        teacherTap = MethodChecks.tap(teacherTap, Outputs.EMBEDDING, "teacherTap");
        gamma = MethodChecks.weight(gamma, 3000, "gamma");
        ceWeight = MethodChecks.weight(ceWeight, 1, "ceWeight");
    }

    @Override
    public DistillationLoss loss() {
        return new SpLoss(studentTap, teacherTap, gamma);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "sp";
    }
}
