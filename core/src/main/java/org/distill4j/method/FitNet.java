package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.feature.FitNetLoss;

/**
 * {@code fitnet}: FitNets hints (Romero et al. 2015), see {@link FitNetLoss}. Its objective is
 * {@code ceWeight·CE + hint}.
 *
 * @param studentTap the student's guided tap (default {@code embedding})
 * @param teacherTap the teacher's hint tap (default {@code embedding})
 * @param kernel regressor kernel size for feature maps, 1 or 3 (default 1)
 * @param beta weight of the hint term, mean reduction (default 100)
 * @param ceWeight weight of the cross-entropy with labels in the objective (default 1; 0 = the paper's stage 1)
 */
public record FitNet(String studentTap, String teacherTap, Integer kernel, Double beta, Double ceWeight)
        implements MethodSpec {
    public FitNet {
        studentTap = studentTap == null ? "embedding" : studentTap;
        teacherTap = teacherTap == null ? "embedding" : teacherTap;
        kernel = kernel == null ? 1 : kernel;
        beta = beta == null ? 100.0 : beta;
        ceWeight = ceWeight == null ? 1.0 : ceWeight;
        MethodChecks.tap(studentTap, "studentTap");
        MethodChecks.tap(teacherTap, "teacherTap");
        if (kernel != 1 && kernel != 3) {
            throw new IllegalArgumentException("kernel: must be 1 or 3 (got " + kernel + ")");
        }
        MethodChecks.require(beta, "beta");
        MethodChecks.require(ceWeight, "ceWeight");
    }

    @Override
    public DistillationLoss loss() {
        return new FitNetLoss(studentTap, teacherTap, kernel, beta);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "fitnet";
    }
}
