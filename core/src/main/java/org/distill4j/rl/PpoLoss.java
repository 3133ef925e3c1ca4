package org.distill4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;

/**
 * The losses of PPO (Schulman et al. 2017) and of dual policy distillation (Lai et al., IJCAI
 * 2020), each a few lines over NDArrays.
 */
public final class PpoLoss {
    private PpoLoss() {}

    /**
     * The clipped surrogate {@code −mean(min(ρ·A, clip(ρ, 1−ε, 1+ε)·A))}, {@code ρ = exp(log π − log π_old)}.
     */
    public static NDArray clippedSurrogate(NDArray logProb, NDArray oldLogProb, NDArray advantages, double epsilon) {
        NDArray ratio = logProb.sub(oldLogProb).exp();
        NDArray clipped = ratio.clip(1 - epsilon, 1 + epsilon);
        return NDArrays.minimum(ratio.mul(advantages), clipped.mul(advantages)).mean().neg();
    }

    /** The value loss {@code mean((V − R)²)}. */
    public static NDArray valueLoss(NDArray values, NDArray returns) {
        return values.reshape(-1).sub(returns).square().mean();
    }

    /**
     * DPD's imitation of the peer: {@code mean(w · Σ_d (μ_d − μ_peer,d)²)} with the per-state
     * weights {@link #dpdWeight} (computed from the value networks, outside the gradient).
     */
    public static NDArray weightedImitation(NDArray mean, NDArray peerMean, NDArray weights) {
        NDArray sq = mean.sub(peerMean.reshape(mean.getShape())).square().sum(new int[] {1});
        return sq.mul(weights).mean();
    }

    /**
     * DPD's weight of a state: {@code clip(exp(β·(V_peer(s) − V_self(s))), 0.01, 100)}: near 0 where
     * the peer is worse, so a learner imitates its peer only where the peer is better (β = 0.5 with
     * PPO's state values, 0.75 with DDPG's Q-values in the paper).
     */
    public static double dpdWeight(double peerValue, double ownValue, double beta) {
        return Math.max(0.01, Math.min(100, Math.exp(beta * (peerValue - ownValue))));
    }
}
