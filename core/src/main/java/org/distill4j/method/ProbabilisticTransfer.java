package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.relation.PktLoss;
import org.distill4j.model.Outputs;

/**
 * {@code pkt}: Passalis &amp; Tefas 2018 probabilistic knowledge transfer with RepDistiller's
 * cosine kernel, see {@link PktLoss}. Its objective is {@code ceWeight·CE + pkt}.
 *
 * @param studentTap student tap (default embedding; maps are flattened)
 * @param teacherTap teacher tap (default embedding)
 * @param weight weight of the KL between the conditional distributions (default 30000, RepDistiller's)
 * @param ceWeight weight of the cross-entropy with labels in the objective (default 1)
 */
public record ProbabilisticTransfer(String studentTap, String teacherTap, Double weight, Double ceWeight)
        implements MethodSpec {
    public ProbabilisticTransfer {
        studentTap = MethodChecks.tap(studentTap, Outputs.EMBEDDING, "studentTap");
        teacherTap = MethodChecks.tap(teacherTap, Outputs.EMBEDDING, "teacherTap");
        weight = MethodChecks.weight(weight, 30000, "weight");
        ceWeight = MethodChecks.weight(ceWeight, 1, "ceWeight");
    }

    @Override
    public DistillationLoss loss() {
        return new PktLoss(studentTap, teacherTap, weight);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "pkt";
    }
}
