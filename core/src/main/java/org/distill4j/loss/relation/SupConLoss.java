package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.distill4j.loss.Adapters;

/**
 * The supervised contrastive loss (Khosla et al., NeurIPS 2020, "Supervised Contrastive
 * Learning", their L_out) with which ReAugKD trains the linear projection of the teacher's
 * embeddings into the student's embedding size. For the L2-normalised projections {@code z} of a
 * batch and their labels, with {@code P(i)} the other samples of i's class and {@code A(i)} all
 * samples but i:
 *
 * <pre>
 * L = mean_{i : |P(i)| > 0} −(1/|P(i)|)·Σ_{p∈P(i)} log( exp(z_i·z_p/τ) / Σ_{a∈A(i)} exp(z_i·z_a/τ) )
 * </pre>
 *
 * An anchor without another sample of its class in the batch is left out (0 if none has one).
 * The projection, {@code x·Wᵀ + b}, is an adapter registered with {@link #registerProjection}.
 */
public final class SupConLoss {
    private SupConLoss() {}

    /** Registers the linear projection {@code in → out} under {@code name} in {@code adapters}. */
    public static void registerProjection(Adapters adapters, String name, long in, long out) {
        adapters.block(name, new Projection(in, out), new Shape(1, in));
    }

    /** The projection {@code name} of {@code x} (B, …, flattened), L2-normalised per row. */
    public static NDArray project(Adapters adapters, String name, NDArray x) {
        return Pairwise.normalize(adapters.forward(name, Pairwise.flatten(x)), 1);
    }

    /** The loss of normalised rows {@code z} (B, D) with class {@code labels}, at temperature {@code tau}. */
    public static NDArray of(NDArray z, int[] labels, double tau) {
        int b = labels.length;
        NDManager scope = z.getManager();
        float[] pos = new float[b * b];
        float[] anchors = new float[b];
        int counted = 0;
        for (int i = 0; i < b; i++) {
            int n = 0;
            for (int j = 0; j < b; j++) {
                if (i != j && labels[i] == labels[j]) {
                    n++;
                }
            }
            for (int j = 0; j < b && n > 0; j++) {
                pos[i * b + j] = i != j && labels[i] == labels[j] ? 1f / n : 0f;
            }
            anchors[i] = n > 0 ? 1 : 0;
            counted += n > 0 ? 1 : 0;
        }
        NDArray logits = Pairwise.withoutSelf(Pairwise.scaled(z.matMul(z.transpose()), 1 / tau));
        NDArray logProb = logits.logSoftmax(1);
        NDArray weights = scope.create(pos, new Shape(b, b)).toType(z.getDataType(), false);
        NDArray perAnchor = weights.mul(logProb).sum(new int[] {1}).neg();
        NDArray mask = scope.create(anchors).toType(z.getDataType(), false);
        return Pairwise.scaled(perAnchor.mul(mask).sum(), 1.0 / Math.max(counted, 1));
    }
}
