package org.distill4j.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** PPO's clipped surrogate, GAE, the Gaussian log-density and DPD's weights against hand calculations. */
class PpoAndDpdLossTest {
    @Test
    void gaeOnAHandComputedCase() {
        // two copies, rows t·2 + i; copy 0 runs on, copy 1's episode terminates at t = 1 (V(s_2) = 0)
        float[] rewards = {1, 1, 0, 0, 2, 2};
        float[] values = {0.5f, 0.5f, 0.4f, 0.4f, 0.3f, 0.3f};
        float[] next = {0.4f, 0.4f, 0.3f, 0f, 0.6f, 0.6f};
        boolean[] ends = {false, false, false, true, false, false};
        Rollout.Advantages a = Rollout.gae(rewards, values, next, ends, 3, 2, 0.9, 0.8);
        // copy 0: δ = (0.86, −0.13, 2.24); A_2 = 2.24, A_1 = −0.13 + 0.72·2.24 = 1.4828, A_0 = 0.86 + 0.72·1.4828
        // copy 1: δ_1 = −0.4 and the recursion is cut there: A_1 = −0.4, A_0 = 0.86 + 0.72·(−0.4) = 0.572
        assertArrayEquals(new float[] {1.927616f, 0.572f, 1.4828f, -0.4f, 2.24f, 2.24f}, a.advantages(), 1e-5f);
        assertArrayEquals(new float[] {2.427616f, 1.072f, 1.8828f, 0f, 2.54f, 2.54f}, a.returns(), 1e-5f);
    }

    @Test
    void clippedSurrogateValueAndGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logp = m.create(new float[] {0f, 0.5f, -0.5f});
            logp.setRequiresGradient(true);
            NDArray old = m.zeros(new ai.djl.ndarray.types.Shape(3));
            NDArray adv = m.create(new float[] {1f, 1f, -1f});
            try (GradientCollector g = Engine.getInstance().newGradientCollector()) {
                NDArray loss = PpoLoss.clippedSurrogate(logp, old, adv, 0.2);
                // ρ = (1, e^0.5 = 1.6487, e^−0.5 = 0.6065); min(ρA, clip(ρ)A) = (1, 1.2, −0.8): −mean = −0.4666…
                assertEquals(-(1 + 1.2 - 0.8) / 3, loss.getFloat(), 1e-6);
                g.backward(loss);
            }
            // only the unclipped row passes a gradient: −ρ·A/3 = −1/3; the clipped rows give 0
            assertArrayEquals(new float[] {-1f / 3, 0f, 0f}, logp.getGradient().toFloatArray(), 1e-6f);
        }
    }

    @Test
    void gaussianLogDensityAndEntropy() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray head = m.create(new float[] {0.5f, (float) Math.log(2)}, new ai.djl.ndarray.types.Shape(1, 2));
            NDArray a = m.create(new float[] {1.5f});
            // z = (1.5 − 0.5)/2 = 0.5: −0.125 − ln 2 − ½ ln 2π
            double expected = -0.125 - Math.log(2) - 0.5 * Math.log(2 * Math.PI);
            assertEquals(expected, GaussianPolicy.logProb(head, a, 1).getFloat(), 1e-6);
            assertEquals(expected, GaussianPolicy.logProb(new double[] {0.5}, new double[] {Math.log(2)}), 1e-12);
            assertEquals(Math.log(2) + 0.5 + 0.5 * Math.log(2 * Math.PI), GaussianPolicy.entropy(head, 1).getFloat(),
                    1e-6);
        }
    }

    @Test
    void dpdWeightsOnHandComputedCases() {
        assertEquals(Math.exp(0.5), PpoLoss.dpdWeight(2, 1, 0.5), 1e-12); // the peer is better by 1
        assertEquals(Math.exp(-0.25), PpoLoss.dpdWeight(0.5, 1, 0.5), 1e-12);
        assertEquals(0.472366552741015, PpoLoss.dpdWeight(1, 2, 0.75), 1e-12); // DDPG's β on Q-values: e^−0.75
        assertEquals(0.01, PpoLoss.dpdWeight(-20, 0, 0.5)); // e^−10 clipped up
        assertEquals(100, PpoLoss.dpdWeight(20, 0, 0.5)); // e^10 clipped down
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mean = m.create(new float[] {1, 2, 0, 0}, new ai.djl.ndarray.types.Shape(2, 2));
            NDArray peer = m.create(new float[] {0, 0, 1, 1}, new ai.djl.ndarray.types.Shape(2, 2));
            NDArray w = m.create(new float[] {0.5f, 2f});
            // squared distances (5, 2), weighted (2.5, 4), mean 3.25
            assertEquals(3.25, PpoLoss.weightedImitation(mean, peer, w).getFloat(), 1e-6);
        }
    }

    @Test
    void advantagesAreStandardised() {
        float[] n = PpoLearner.normalise(new float[] {1, 2, 3, 4});
        // mean 2.5, population deviation √1.25
        double sd = Math.sqrt(1.25);
        assertArrayEquals(new float[] {(float) (-1.5 / sd), (float) (-0.5 / sd), (float) (0.5 / sd),
            (float) (1.5 / sd)}, n, 1e-6f);
    }
}
