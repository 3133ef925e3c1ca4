package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import org.distill4j.model.Scalars;

/**
 * The arithmetic the relation losses share: per-sample vectors, their normalisation and the
 * B×B distance matrices between the samples of a batch. Every guard here keeps gradients finite
 * where a naive formula divides by zero (all-zero rows after a ReLU, the zero diagonal).
 */
final class Pairwise {
    /** F.normalize's eps: norms below it count as this, so a zero row stays zero. */
    static final double NORM_EPS = 1e-12;
    /** RepDistiller's clamp of squared distances before the square root. */
    static final double DISTANCE_EPS = 1e-12;

    private Pairwise() {}

    /** (B, …) → (B, D): feature maps become one vector per sample. */
    static NDArray flatten(NDArray x) {
        return x.getShape().dimension() == 2 ? x : x.reshape(x.getShape().get(0), -1);
    }

    /**
     * {@code x / max(‖x‖₂, 1e-12)} along {@code axis}, as torch's F.normalize. Written as the square
     * root of a clamped sum of squares: the norm's own gradient is undefined at zero, this one is 0.
     */
    static NDArray normalize(NDArray x, int axis) {
        return x.div(Scalars.maximum(x.square().sum(new int[] {axis}, true), NORM_EPS * NORM_EPS).sqrt());
    }

    /**
     * Euclidean distances between the rows of {@code f} (B, D), squared or not: B×B, computed from the
     * Gram matrix, clamped at 1e-12 before the square root (its gradient at 0 is infinite) and with the
     * diagonal zeroed after it (so the clamp leaves no 1e-6 self-distances).
     */
    static NDArray distances(NDArray f, boolean squared) {
        NDArray sq = f.square().sum(new int[] {1}, true);
        NDArray d = Scalars.maximum(sq.add(sq.transpose()).sub(Scalars.mul(f.matMul(f.transpose()), 2)), DISTANCE_EPS);
        if (!squared) {
            d = d.sqrt();
        }
        return offDiagonal(d);
    }

    /** The matrix with its diagonal set to 0 (by a product, so the diagonal's gradient is 0 too). */
    static NDArray offDiagonal(NDArray m) {
        int b = (int) m.getShape().get(0);
        return m.mul(m.getManager().eye(b, b, 0, m.getDataType()).neg().add(1));
    }

    /** Subtracted from a square matrix's diagonal of similarity logits: each row's softmax gives itself exactly 0. */
    static final double SELF_MASKED = 1e9;

    /**
     * Square similarity logits with each row's own entry pushed to {@code −1e9}: a softmax over the
     * row gives it exactly 0 weight and 0 gradient (a sample is not its own neighbour).
     */
    static NDArray withoutSelf(NDArray logits) {
        int b = (int) logits.getShape().get(0);
        return logits.sub(scaled(logits.getManager().eye(b, b, 0, logits.getDataType()), SELF_MASKED));
    }

    /**
     * {@code x·w} in x's precision. A double scalar would make torch promote a 0-dim float32 loss to
     * float64 (two 0-dim operands promote), which the float32 training step cannot read.
     */
    static NDArray scaled(NDArray x, double w) {
        return Scalars.mul(x, x.getDataType() == DataType.FLOAT64 ? w : (float) w);
    }

    /** Mean squared error over all elements (torch's F.mse_loss). */
    static NDArray mse(NDArray a, NDArray b) {
        return a.sub(b).square().mean();
    }

    /**
     * Huber loss with δ = 1, which is torch's smooth L1 ({@code 0.5x²} below 1, {@code |x| − 0.5} above),
     * averaged over all elements. With {@code q = min(|x|, 1)} it is {@code 0.5q² + |x| − q}: one
     * branch-free expression whose gradient is right on both sides.
     */
    static NDArray smoothL1(NDArray a, NDArray b) {
        NDArray x = a.sub(b).abs();
        NDArray q = Scalars.minimum(x, 1);
        return Scalars.mul(q.square(), 0.5).add(x.sub(q)).mean();
    }
}
