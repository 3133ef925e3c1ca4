package org.distill4j.loss.feature;

import ai.djl.ndarray.NDArray;

/**
 * The block-wise supervision of DNA (Li et al. 2020, "Block-wisely Supervised Neural
 * Architecture Search with Knowledge Distillation", CVPR): a candidate student block, fed the
 * teacher's previous block output, is trained to reproduce the teacher's block output,
 * {@code L = (1/K)·‖Y − Ŷ‖²} over the K values of the batch's maps (the teacher's side
 * detached). Candidates are ranked by {@link #relative} on held-out data, so that stages whose
 * maps differ in scale count alike when their losses are summed.
 */
public final class BlockLoss {
    private BlockLoss() {}

    /** {@code mean((student − teacher)²)}; no gradient reaches {@code teacher}. */
    public static NDArray mse(NDArray student, NDArray teacher) {
        if (!student.getShape().equals(teacher.getShape())) {
            throw new IllegalArgumentException("a block's output " + student.getShape()
                    + " must have the shape of the teacher's block output " + teacher.getShape());
        }
        NDArray d = student.sub(teacher.stopGradient());
        return d.mul(d).mean();
    }

    /** Σ(student − teacher)² / Σ teacher² over all batches seen: the ranking score of a block. */
    public static double relative(double squaredError, double teacherEnergy) {
        if (!(teacherEnergy > 0)) {
            throw new IllegalArgumentException("the teacher's block output is zero everywhere: nothing to rank by");
        }
        return squaredError / teacherEnergy;
    }
}
