package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.relation.RkdLoss;
import org.distill4j.model.Outputs;

/**
 * {@code rkd}: Park et al. 2019 relational distillation (distance and angle), see {@link RkdLoss}.
 * Its objective is {@code ceWeight·CE + rkd_distance + rkd_angle}.
 *
 * @param studentTap student tap (default embedding, the penultimate layer; maps are flattened)
 * @param teacherTap teacher tap (default embedding)
 * @param distanceWeight λ_D of the distance term (default 25; 0 turns it off)
 * @param angleWeight λ_A of the angle term (default 50; 0 turns it off)
 * @param ceWeight weight of the cross-entropy with labels in the objective (default 1)
 */
public record RelationalKd(String studentTap, String teacherTap, Double distanceWeight, Double angleWeight,
        Double ceWeight) implements MethodSpec {
    public RelationalKd {
        studentTap = MethodChecks.tap(studentTap, Outputs.EMBEDDING, "studentTap");
        teacherTap = MethodChecks.tap(teacherTap, Outputs.EMBEDDING, "teacherTap");
        distanceWeight = MethodChecks.weight(distanceWeight, 25, "distanceWeight");
        angleWeight = MethodChecks.weight(angleWeight, 50, "angleWeight");
        ceWeight = MethodChecks.weight(ceWeight, 1, "ceWeight");
    }

    @Override
    public DistillationLoss loss() {
        return new RkdLoss(studentTap, teacherTap, distanceWeight, angleWeight);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "rkd";
    }
}
