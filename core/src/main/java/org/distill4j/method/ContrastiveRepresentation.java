package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.relation.CrdLoss;
import org.distill4j.model.Outputs;

/**
 * {@code crd}: Tian et al. 2020 contrastive representation distillation, InfoNCE form with memory
 * banks, see {@link CrdLoss}. Its objective is {@code ceWeight·CE + crd}.
 *
 * @param studentTap student tap fed to the student's projection head (default embedding; maps are flattened)
 * @param teacherTap teacher tap fed to the teacher's projection head (default embedding)
 * @param embedDim output size of both projection heads (default 128)
 * @param tau softmax temperature τ, in (0, 10] (default 0.07)
 * @param weight weight of the contrastive term (default 0.8)
 * @param negatives negatives per step N drawn from the memory bank (default 16384, capped at the
 *     training set's size)
 * @param momentum weight of a bank row's old value when the row is updated, in [0, 1) (default 0.5)
 * @param ceWeight weight of the cross-entropy with labels in the objective (default 1)
 */
public record ContrastiveRepresentation(String studentTap, String teacherTap, Integer embedDim, Double tau,
        Double weight, Integer negatives, Double momentum, Double ceWeight) implements MethodSpec {
    public ContrastiveRepresentation {
        studentTap = MethodChecks.tap(studentTap, Outputs.EMBEDDING, "studentTap");
        teacherTap = MethodChecks.tap(teacherTap, Outputs.EMBEDDING, "teacherTap");
        embedDim = embedDim == null ? 128 : embedDim;
        MethodChecks.require(embedDim >= 1 && embedDim <= 65536, "embedDim", "must be in [1, 65536]", embedDim);
        tau = tau == null ? 0.07 : tau;
        MethodChecks.require(tau > 0 && tau <= 10, "tau", "must be in (0, 10]", tau);
        weight = MethodChecks.weight(weight, 0.8, "weight");
        negatives = negatives == null ? 16384 : negatives;
        MethodChecks.require(negatives >= 1 && negatives <= 1 << 20, "negatives", "must be in [1, 1048576]",
                negatives);
        momentum = momentum == null ? 0.5 : momentum;
        MethodChecks.require(momentum >= 0 && momentum < 1, "momentum", "must be in [0, 1)", momentum);
        ceWeight = MethodChecks.weight(ceWeight, 1, "ceWeight");
    }

    @Override
    public DistillationLoss loss() {
        return new CrdLoss(studentTap, teacherTap, embedDim, tau, weight, negatives, momentum);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "crd";
    }
}
