package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.feature.VidLoss;

/**
 * {@code vid}: variational information distillation (Ahn et al. 2019), see {@link VidLoss} (it
 * explains how the loss's scale compares with RepDistiller's). Its objective is
 * {@code ceWeight·CE + vid}.
 *
 * @param studentTap the student tap the mean is predicted from (default {@code embedding})
 * @param teacherTap the teacher tap whose likelihood is maximised (default {@code embedding})
 * @param hidden middle width of the 1×1-conv mean regressor for maps (default: the teacher's
 *     channel count)
 * @param initSigma initial σ of every channel, i.e. initial variance initSigma² (default √5 ≈ 2.236,
 *     RepDistiller's variance 5)
 * @param eps floor ε of σ = softplus(α) + ε (default 1e-5)
 * @param beta weight of the VID term (default 100)
 * @param variance what {@code softplus(α) + ε} is: {@code var} the variance (default, as the paper
 *     and RepDistiller, mdistiller, torchdistill) or {@code std} the standard deviation (distill4j
 *     before; see {@link VidLoss.Variance})
 * @param ceWeight weight of the cross-entropy with labels in the objective (default 1)
 */
public record Vid(String studentTap, String teacherTap, Integer hidden, Double initSigma, Double eps, Double beta,
        Double ceWeight, VidLoss.Variance variance) implements MethodSpec {
    public Vid(String studentTap, String teacherTap, Integer hidden, Double initSigma, Double eps, Double beta,
            Double ceWeight) {
        this(studentTap, teacherTap, hidden, initSigma, eps, beta, ceWeight, null);
    }

    public Vid {
        variance = variance == null ? VidLoss.Variance.VAR : variance;
        studentTap = studentTap == null ? "embedding" : studentTap;
        teacherTap = teacherTap == null ? "embedding" : teacherTap;
        initSigma = initSigma == null ? Math.sqrt(5) : initSigma;
        eps = eps == null ? 1e-5 : eps;
        beta = beta == null ? 100.0 : beta;
        ceWeight = ceWeight == null ? 1.0 : ceWeight;
        MethodChecks.tap(studentTap, "studentTap");
        MethodChecks.tap(teacherTap, "teacherTap");
        if (hidden != null && (hidden < 1 || hidden > 65536)) {
            throw new IllegalArgumentException("hidden: must be in [1, 65536] (got " + hidden + ")");
        }
        if (!(eps > 0 && eps <= 0.1)) {
            throw new IllegalArgumentException("eps: must be in (0, 0.1] (got " + eps + ")");
        }
        if (!(initSigma > eps && initSigma <= 1000)) {
            throw new IllegalArgumentException("initSigma: must be in (eps, 1000] (got " + initSigma + ")");
        }
        MethodChecks.require(beta, "beta");
        MethodChecks.require(ceWeight, "ceWeight");
    }

    @Override
    public DistillationLoss loss() {
        return new VidLoss(studentTap, teacherTap, hidden, initSigma, eps, beta, variance);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "vid";
    }
}
