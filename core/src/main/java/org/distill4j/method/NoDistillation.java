package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.response.CrossEntropy;

/** {@code none}: the student learns from labels alone (the baseline every method must beat). */
public record NoDistillation() implements MethodSpec {
    @Override
    public DistillationLoss loss() {
        return new CrossEntropy();
    }

    @Override
    public String name() {
        return "none";
    }
}
