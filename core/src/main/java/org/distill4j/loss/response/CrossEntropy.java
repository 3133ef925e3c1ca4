package org.distill4j.loss.response;

import ai.djl.ndarray.NDArray;

/**
 * Cross-entropy with hard labels, batch mean: the task's term. No loss adds it itself: every
 * objective gets it, weighted, from {@link org.distill4j.loss.WeightedSum} (and training without
 * distillation is {@link org.distill4j.loss.WeightedSum#crossEntropy()}).
 */
public final class CrossEntropy {
    /** Name of the cross-entropy term in reports. */
    public static final String TERM = "ce";

    private CrossEntropy() {}

    /** {@code −mean_i log softmax(z_i)[y_i]}. */
    public static NDArray of(NDArray logits, NDArray labels) {
        NDArray logp = logits.logSoftmax(1);
        return logp.mul(labels.oneHot((int) logits.getShape().get(1))).sum(new int[] {1}).mean().neg();
    }
}
