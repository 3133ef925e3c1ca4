package org.distill4j.method;

import java.util.List;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.response.MultiTeacherLoss;
import org.distill4j.loss.response.MultiTeacherLoss.Average;
import org.distill4j.loss.response.MultiTeacherLoss.Weighting;

/**
 * {@code multi-teacher}: distillation from the config's several teachers ({@code teachers:}),
 * see {@link MultiTeacherLoss} for the formulas and the papers. Its objective is
 * {@code (1−α)·CE + kd (+ hint)}. Targets: the mean of the teachers' probabilities (default),
 * the mean of their logits ({@code average: logits}), weighted with fixed coefficients
 * ({@code weighting: fixed, weights: [...]}) or per sample by confidence
 * ({@code weighting: confidence, tau: ...}); with {@code hint} the student also matches each
 * teacher's tap through a regressor of its own.
 *
 * @param temperature softening temperature T (default 4)
 * @param alpha weight of the soft term, in [0, 1] (default 0.9)
 * @param average what is averaged: {@code probabilities} (default) or {@code logits}
 * @param weighting {@code equal} (default), {@code fixed} or {@code confidence}
 * @param weights with {@code fixed}: one positive coefficient per teacher, in the order of
 *     {@code teachers} (normalised to sum 1)
 * @param tau with {@code confidence}: the temperature of {@code softmax_k(−H_k/τ)} (default 1)
 * @param hint feature hints (default none)
 */
public record MultiTeacher(Double temperature, Double alpha, Average average, Weighting weighting, List<Double> weights,
        Double tau, Hint hint) implements MethodSpec {
    /**
     * The student's tap regresses each teacher's tap, each through a regressor of its own (as
     * FitNets': 1×1/3×3 conv + BN + ReLU for maps, linear for vectors), weighted as the targets.
     *
     * @param studentTap the student's tap (default {@code embedding})
     * @param teacherTap every teacher's tap (default {@code embedding})
     * @param teacherTaps one tap per teacher, in order, instead of {@code teacherTap} (teachers of
     *     different architectures may name them differently)
     * @param kernel regressor kernel for feature maps, 1 or 3 (default 1)
     * @param beta weight of the hint term (default 100, FitNets' with mean reduction)
     */
    public record Hint(String studentTap, String teacherTap, List<String> teacherTaps, Integer kernel, Double beta) {
        public Hint {
            if (teacherTap != null && teacherTaps != null) {
                throw new IllegalArgumentException("teacherTaps: give teacherTap (one for all) or teacherTaps (one per "
                        + "teacher), not both");
            }
            studentTap = MethodChecks.tap(studentTap, "embedding", "studentTap");
            teacherTap = teacherTaps != null ? null : MethodChecks.tap(teacherTap, "embedding", "teacherTap");
            if (teacherTaps != null) {
                teacherTaps = MethodChecks.taps(teacherTaps, "embedding", "teacherTaps");
            }
            kernel = kernel == null ? 1 : kernel;
            MethodChecks.require(kernel == 1 || kernel == 3, "kernel", "must be 1 or 3", kernel);
            beta = MethodChecks.weight(beta, 100, "beta");
        }

    }

    public MultiTeacher {
        temperature = temperature == null ? 4.0 : temperature;
        alpha = alpha == null ? 0.9 : alpha;
        average = average == null ? Average.PROBABILITIES : average;
        weighting = weighting == null ? Weighting.EQUAL : weighting;
        tau = tau == null ? 1.0 : tau;
        MethodChecks.require(temperature > 0 && temperature <= 1000, "temperature", "must be in (0, 1000]", temperature);
        MethodChecks.require(alpha >= 0 && alpha <= 1, "alpha", "must be in [0, 1]", alpha);
        MethodChecks.require(tau > 0 && tau <= 1e6, "tau", "must be in (0, 1e6]", tau);
        if (weighting == Weighting.FIXED) {
            MethodChecks.require(weights != null && !weights.isEmpty(), "weights", "weighting 'fixed' needs one "
                    + "coefficient per teacher, e.g. [2, 1]", weights);
            for (Double w : weights) {
                MethodChecks.require(w != null && w > 0 && Double.isFinite(w), "weights",
                        "each must be a finite number > 0", weights);
            }
            weights = List.copyOf(weights);
        } else if (weights != null) {
            throw new IllegalArgumentException("weights: only used with weighting: fixed (weighting is "
                    + weighting.name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
    }

    @Override
    public void checkTeachers(int count) {
        if (weighting == Weighting.FIXED && weights.size() != count) {
            throw new IllegalArgumentException("teachers: " + count + " teachers but student.method.weights has "
                    + weights.size() + "; give one weight per teacher, in the order of teachers");
        }
        if (hint != null && hint.teacherTaps() != null && hint.teacherTaps().size() != count) {
            throw new IllegalArgumentException("teachers: " + count + " teachers but student.method.hint.teacherTaps "
                    + "has " + hint.teacherTaps().size() + "; give one tap per teacher, in the order of teachers");
        }
    }

    @Override
    public DistillationLoss loss() {
        double[] fixed = weights == null ? null : weights.stream().mapToDouble(Double::doubleValue).toArray();
        return new MultiTeacherLoss(temperature, alpha, average, weighting, fixed, tau, hint == null ? null
                : new MultiTeacherLoss.Hints(hint.studentTap(), hint.teacherTap(), hint.teacherTaps(), hint.kernel(),
                        hint.beta()));
    }

    /** {@code 1 − α}: the weight of the hard-label term. */
    @Override
    public double crossEntropyWeight() {
        return 1 - alpha;
    }

    @Override
    public String name() {
        return "multi-teacher";
    }
}
