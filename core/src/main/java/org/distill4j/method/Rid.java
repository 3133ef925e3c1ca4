package org.distill4j.method;

import java.util.List;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.feature.RidLoss;

/**
 * {@code rid}: redundant information distillation (Dissanayake et al., AISTATS 2025), see {@link
 * RidLoss}: teacher filters with classification heads and student filters on paired taps, trained
 * in rounds (the teacher filters first, then the student). Its objective is
 * {@code ceWeight·CE + rid}; the teacher filters are a participant of their own
 * ({@code <student>.teacher-filters}) with the student's optimizer settings.
 *
 * @param studentTaps the student's taps (default {@code [embedding]})
 * @param teacherTaps the teacher's taps, paired in order (default {@code [embedding]})
 * @param beta weight of the alignment terms (default 10, the paper's)
 * @param initSigma σ at the start (default 5, near the authors' α = 5, σ = softplus(5) + 0.001 ≈ 5.008)
 * @param roundSteps steps in a round (default 50; <i>choice</i>, the paper alternates by epochs)
 * @param teacherSteps the round's first steps, which train the teacher filters (default 10)
 * @param ceWeight weight of the student's cross-entropy with labels (default 1)
 * @param divisor what the squared distance is divided by: {@code sigma} (default; the authors' code,
 *     {@code σ² + d²/σ}) or {@code variance} ({@code σ² + d²/σ²}, the formula of the paper's text and
 *     of our METHODS.md; it made RID unstable in the first RID bench, README)
 */
public record Rid(List<String> studentTaps, List<String> teacherTaps, Double beta, Double initSigma, Integer roundSteps,
        Integer teacherSteps, Double ceWeight, String divisor) implements MethodSpec {
    /** The accepted values of {@code divisor}. */
    public static final List<String> DIVISORS = List.of("sigma", "variance");

    public Rid {
        MethodChecks.pairedLists(studentTaps, teacherTaps, 1);
        studentTaps = MethodChecks.taps(studentTaps, "embedding", "studentTaps");
        teacherTaps = MethodChecks.taps(teacherTaps, "embedding", "teacherTaps");
        beta = beta == null ? 10.0 : beta;
        initSigma = initSigma == null ? 5.0 : initSigma;
        roundSteps = roundSteps == null ? 50 : roundSteps;
        teacherSteps = teacherSteps == null ? 10 : teacherSteps;
        ceWeight = ceWeight == null ? 1.0 : ceWeight;
        divisor = divisor == null ? "sigma" : divisor;
        MethodChecks.require(DIVISORS.contains(divisor), "divisor", "must be one of " + DIVISORS, divisor);
        MethodChecks.require(beta, "beta");
        MethodChecks.require(ceWeight, "ceWeight");
        MethodChecks.require(initSigma > RidLoss.EPS && initSigma <= 1000, "initSigma", "must be in (0.001, 1000]",
                initSigma);
        MethodChecks.require(roundSteps >= 2 && roundSteps <= 1_000_000, "roundSteps", "must be in [2, 1000000]",
                roundSteps);
        MethodChecks.require(teacherSteps >= 1 && teacherSteps < roundSteps, "teacherSteps",
                "must be in [1, roundSteps) = [1, " + roundSteps + ")", teacherSteps);
    }

    @Override
    public DistillationLoss loss() {
        return new RidLoss(studentTaps, teacherTaps, beta, initSigma, roundSteps, teacherSteps,
                divisor.equals("variance"));
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "rid";
    }
}
