package org.distill4j.loss.response;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;

/**
 * The distillation term of one peer in online distillation,
 * {@code peers = w·(1/|L|)·Σ_{l∈L} KL(p_l ‖ p_k)} at temperature 1, each KL a batch mean,
 * the targets {@code p_l} detached; the peer's objective is
 * {@code new WeightedSum(1, peerLoss)}: {@code CE(z_k, y) + peers}. The targets are taps of the peers' knowledge (see
 * {@link org.distill4j.knowledge.PeerKnowledge}): for deep mutual learning (Zhang et al. 2018)
 * {@code L} is the other K−1 peers and {@code w = 1}, which is the paper's
 * {@code CE + 1/(K−1)·Σ_{l≠k} KL(p_l ‖ p_k)}; for codistillation (Anil et al. 2018) {@code L} is
 * the one target {@code logits}, the log of the stale peers' mean probability. With {@code w = 0}
 * (a burn-in, or peers trained alone) no knowledge is read and the term is reported as 0.
 */
public final class PeerLoss implements DistillationLoss {
    /** Name of the distillation term in reports. */
    public static final String TERM = "peers";

    private final List<String> targets;
    private final double weight;

    /**
     * @param targets the knowledge taps holding the targets' logits, at least one
     * @param weight w, ≥ 0
     */
    public PeerLoss(List<String> targets, double weight) {
        if (targets.isEmpty() || !(weight >= 0)) {
            throw new IllegalArgumentException("a peer loss needs at least one target and a weight ≥ 0, got "
                    + targets + ", " + weight);
        }
        this.targets = List.copyOf(targets);
        this.weight = weight;
    }

    @Override
    public LossValue compute(Outputs student, Knowledge peers, Batch batch) {
        NDArray zk = student.logits();
        NDArray kl;
        if (weight == 0) {
            kl = zk.getManager().zeros(new Shape(), zk.getDataType()); // the shape and type of a batch mean
        } else {
            kl = null;
            for (String t : targets) {
                NDArray term = KdLoss.klDivergence(peers.outputs().get(t).stopGradient(), zk, 1.0);
                kl = kl == null ? term : kl.add(term);
            }
            kl = Scalars.mul(kl, (float) (weight / targets.size()));
        }
        return LossValue.of(TERM, kl);
    }

    @Override
    public boolean needsTeacher() {
        return weight > 0;
    }
}
