package org.distill4j.rl;

/**
 * What one learner saw in one rollout of {@code steps} steps on {@code copies} environment
 * copies, row t·copies + i for copy i at step t: observations, actions, their log-probabilities
 * and values under the policy that acted, rewards, and the value of the state after each step
 * ({@code nextValues}: 0 at a terminal state, the value of the last observation at a truncation,
 * so a time limit is not mistaken for an end). {@link #gae} turns them into advantages and returns.
 */
public record Rollout(int steps, int copies, int observationSize, int actionSize, float[] observations,
        float[] actions, float[] logProbs, float[] values, float[] rewards, float[] nextValues, boolean[] ends) {
    public int size() {
        return steps * copies;
    }

    /** Advantages and value targets (returns = advantages + values). */
    public record Advantages(float[] advantages, float[] returns) {}

    /**
     * Generalised advantage estimation (Schulman et al. 2016):
     * {@code δ_t = r_t + γ·V(s_{t+1}) − V(s_t)}, {@code A_t = δ_t + γλ·A_{t+1}}, the recursion cut
     * where an episode ended ({@code ends}: terminated or truncated), {@code V(s_{t+1})} given by
     * {@code nextValues}. Rows are step-major: row t·copies + i.
     */
    public static Advantages gae(float[] rewards, float[] values, float[] nextValues, boolean[] ends, int steps,
            int copies, double gamma, double lambda) {
        float[] adv = new float[steps * copies];
        float[] ret = new float[steps * copies];
        for (int i = 0; i < copies; i++) {
            double next = 0;
            for (int t = steps - 1; t >= 0; t--) {
                int k = t * copies + i;
                double delta = rewards[k] + gamma * nextValues[k] - values[k];
                double a = delta + (ends[k] ? 0 : gamma * lambda * next);
                adv[k] = (float) a;
                ret[k] = (float) (a + values[k]);
                next = a;
            }
        }
        return new Advantages(adv, ret);
    }

    public Advantages gae(double gamma, double lambda) {
        return gae(rewards, values, nextValues, ends, steps, copies, gamma, lambda);
    }
}
