package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.response.DiskLoss;

/**
 * {@code disk}: scaffolding a student with a guide network (Kag et al., ICLR 2023, "Scaffolding a
 * Student to Instill Knowledge"), see {@link DiskLoss}: a guide {@code g(x) ∈ [0, 1]} on the
 * teacher's tap lifts the student's probabilities on the teacher's top-k classes plus the label,
 * censoring hard examples, under a budget ε on its mean mass over the student's errors kept by a
 * Lagrangian (λ by dual ascent). The guide is a participant of its own ({@code <student>.guide}, the
 * student's optimizer settings); student and guide alternate by epochs; the guide is not exported.
 * The objective is {@code ceWeight·CE + disk} (the reference code's auxiliary CE 0.1 and lifted
 * term 0.9).
 *
 * @param teacherTap the teacher's tap the guide reads (default {@code embedding})
 * @param topK the teacher's classes lifted besides the label (default 3, the reference code's default)
 * @param budget ε, the guide's mean mass over the student's errors (default 0.5, <i>choice</i>: the
 *     reference runs anneal it between 0.4 and 0.6)
 * @param temperature the teacher's temperature T (default 4)
 * @param studentTemperature the student's temperature T_s (default 4)
 * @param weight weight of the lifted term (default 0.9)
 * @param dualStep ρ, λ's ascent step after every guide step (default 0.1, <i>choice</i>)
 * @param initialLambda λ at the start (default 1, the reference code's λ_min)
 * @param studentEpochs epochs of the student in a cycle (default 3, METHODS.md)
 * @param guideEpochs epochs of the guide in a cycle, after the student's (default 3)
 * @param guideHidden units of the guide's hidden layer (default 64, <i>choice</i>)
 * @param ceWeight weight of the student's cross-entropy with labels (default 0.1)
 */
public record Disk(String teacherTap, Integer topK, Double budget, Double temperature, Double studentTemperature,
        Double weight, Double dualStep, Double initialLambda, Integer studentEpochs, Integer guideEpochs,
        Integer guideHidden, Double ceWeight) implements MethodSpec {
    public Disk {
        teacherTap = MethodChecks.tap(teacherTap, "embedding", "teacherTap");
        topK = topK == null ? 3 : topK;
        budget = budget == null ? 0.5 : budget;
        temperature = temperature == null ? 4.0 : temperature;
        studentTemperature = studentTemperature == null ? 4.0 : studentTemperature;
        weight = MethodChecks.weight(weight, 0.9, "weight");
        dualStep = dualStep == null ? 0.1 : dualStep;
        initialLambda = initialLambda == null ? 1.0 : initialLambda;
        studentEpochs = studentEpochs == null ? 3 : studentEpochs;
        guideEpochs = guideEpochs == null ? 3 : guideEpochs;
        guideHidden = guideHidden == null ? 64 : guideHidden;
        ceWeight = MethodChecks.weight(ceWeight, 0.1, "ceWeight");
        MethodChecks.require(topK >= 1, "topK", "must be >= 1", topK);
        MethodChecks.require(budget > 0 && budget < 1, "budget", "must be in (0, 1)", budget);
        MethodChecks.require(temperature > 0 && temperature <= 1000, "temperature", "must be in (0, 1000]",
                temperature);
        MethodChecks.require(studentTemperature > 0 && studentTemperature <= 1000, "studentTemperature",
                "must be in (0, 1000]", studentTemperature);
        MethodChecks.require(dualStep > 0 && dualStep <= 1e6, "dualStep", "must be in (0, 1e6]", dualStep);
        MethodChecks.require(initialLambda >= 0 && initialLambda <= 1e6, "initialLambda", "must be in [0, 1e6]",
                initialLambda);
        MethodChecks.require(studentEpochs >= 1, "studentEpochs", "must be >= 1", studentEpochs);
        MethodChecks.require(guideEpochs >= 1, "guideEpochs", "must be >= 1", guideEpochs);
        MethodChecks.require(guideHidden >= 1 && guideHidden <= 65536, "guideHidden", "must be in [1, 65536]",
                guideHidden);
    }

    @Override
    public DistillationLoss loss() {
        return new DiskLoss(teacherTap, topK, budget, temperature, studentTemperature, weight, dualStep, initialLambda,
                studentEpochs, guideEpochs, guideHidden);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the lifted term. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "disk";
    }
}
