package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;

/**
 * {@code none}: the student learns from labels alone (the baseline every method must beat). It has
 * no terms of its own: its objective is the cross-entropy with weight 1.
 */
public record NoDistillation() implements MethodSpec {
    /** None: the objective is cross-entropy alone. */
    @Override
    public DistillationLoss loss() {
        return null;
    }

    @Override
    public double crossEntropyWeight() {
        return 1;
    }

    @Override
    public String name() {
        return "none";
    }
}
