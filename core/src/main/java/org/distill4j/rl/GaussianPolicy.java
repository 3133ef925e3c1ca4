package org.distill4j.rl;

import ai.djl.ndarray.NDArray;
import org.distill4j.model.Scalars;

/**
 * A diagonal Gaussian policy read from a network's output row {@code (μ_1…μ_A, log σ_1…log σ_A)},
 * log σ clipped to [{@value #MIN_LOG_STD}, {@value #MAX_LOG_STD}]: the log-density of actions
 * (on NDArrays for the losses, on floats for sampling during rollouts) and the entropy.
 */
public final class GaussianPolicy {
    public static final double MIN_LOG_STD = -3, MAX_LOG_STD = 1;
    private static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

    private GaussianPolicy() {}

    public static NDArray mean(NDArray head, int actions) {
        return head.get(":, 0:" + actions);
    }

    public static NDArray logStd(NDArray head, int actions) {
        return head.get(":, " + actions + ":").clip(MIN_LOG_STD, MAX_LOG_STD);
    }

    /** {@code Σ_d −½((a−μ)/σ)² − log σ − ½ log 2π}, one value per row (B). */
    public static NDArray logProb(NDArray head, NDArray action, int actions) {
        NDArray mu = mean(head, actions);
        NDArray logStd = logStd(head, actions);
        NDArray a = action.getShape().dimension() == 1 ? action.reshape(-1, 1) : action;
        NDArray z = a.sub(mu).div(logStd.exp());
        return Scalars.mul(z.square(), -0.5).sub(logStd).sub(HALF_LOG_TWO_PI).sum(new int[] {1});
    }

    /** {@code Σ_d log σ + ½ log(2πe)}, one value per row. */
    public static NDArray entropy(NDArray head, int actions) {
        return logStd(head, actions).add(0.5 + HALF_LOG_TWO_PI).sum(new int[] {1});
    }

    /** The log-density of {@code a = μ + σz} (floats: the rollout samples without NDArrays). */
    public static double logProb(double[] z, double[] logStd) {
        double s = 0;
        for (int d = 0; d < z.length; d++) {
            s += -0.5 * z[d] * z[d] - logStd[d] - HALF_LOG_TWO_PI;
        }
        return s;
    }

    static double clipLogStd(double raw) {
        return Math.max(MIN_LOG_STD, Math.min(MAX_LOG_STD, raw));
    }
}
