package org.distill4j.loss.datafree;

import ai.djl.ndarray.NDArray;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.model.Scalars;

/**
 * The divergence of zero-shot knowledge transfer by adversarial belief matching (Micaelli &amp;
 * Storkey 2019, "Zero-shot Knowledge Transfer via Adversarial Belief Matching", NeurIPS):
 * {@code D = KL(softmax(t/τ) ‖ softmax(s/τ))} of the teacher's and the student's logits on a
 * generated batch. The generator ascends on D, the student descends on D plus attention transfer
 * (see {@link org.distill4j.loss.feature.AttentionLoss#pair}).
 *
 * <p><em>Choice:</em> the reduction. {@link Reduction#ELEMENTWISE} (default) divides the summed
 * divergence by batch × classes, as the authors' code does (PyTorch's {@code kl_div} with its
 * default {@code 'mean'} reduction), which fixes the scale of D against the attention term's
 * β = 250; {@link Reduction#BATCHMEAN} divides by the batch only (the textbook KL per sample).
 */
public final class BeliefMatching {
    /** How the summed divergence is averaged. */
    public enum Reduction {
        @com.fasterxml.jackson.annotation.JsonProperty("elementwise") ELEMENTWISE,
        @com.fasterxml.jackson.annotation.JsonProperty("batchmean") BATCHMEAN
    }

    private BeliefMatching() {}

    /** D at temperature τ with the given reduction; neither side is detached (the generator needs both). */
    public static NDArray divergence(NDArray teacherLogits, NDArray studentLogits, double temperature,
            Reduction reduction) {
        NDArray kl = KdLoss.klDivergence(teacherLogits, studentLogits, temperature);
        return reduction == Reduction.ELEMENTWISE ? Scalars.div(kl, studentLogits.getShape().get(1)) : kl;
    }
}
