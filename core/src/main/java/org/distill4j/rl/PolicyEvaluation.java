package org.distill4j.rl;

import java.util.function.Function;
import org.distill4j.train.Seeds;

/**
 * The return of a deterministic policy: {@code episodes} copies of the environment started from
 * fixed seeds (the same for every learner and cycle, so curves compare like with like), stepped
 * together until each episode ends; actions clipped to the environment's bound.
 */
final class PolicyEvaluation {
    private PolicyEvaluation() {}

    /** @param policy maps a row-major batch of observations (episodes × size) to actions (episodes × size) */
    static double meanReturn(String env, long seed, int episodes, Function<float[], float[]> policy) {
        Environment[] e = new Environment[episodes];
        double[][] cur = new double[episodes][];
        double[] ret = new double[episodes];
        boolean[] done = new boolean[episodes];
        for (int i = 0; i < episodes; i++) {
            e[i] = Environment.named(env);
            cur[i] = e[i].reset(Seeds.derive(seed ^ 0x5EED, "eval " + i));
        }
        int obs = e[0].observationSize();
        int act = e[0].actionSize();
        double bound = e[0].actionBound();
        int alive = episodes;
        while (alive > 0) {
            float[] x = new float[episodes * obs];
            for (int i = 0; i < episodes; i++) {
                for (int d = 0; d < obs; d++) {
                    x[i * obs + d] = (float) cur[i][d];
                }
            }
            float[] actions = policy.apply(x);
            for (int i = 0; i < episodes; i++) {
                if (done[i]) {
                    continue;
                }
                double[] a = new double[act];
                for (int d = 0; d < act; d++) {
                    a[d] = Math.max(-bound, Math.min(bound, actions[i * act + d]));
                }
                Environment.Step st = e[i].step(a);
                ret[i] += st.reward();
                cur[i] = st.observation();
                if (st.done()) {
                    done[i] = true;
                    alive--;
                }
            }
        }
        return java.util.Arrays.stream(ret).average().orElse(Double.NaN);
    }
}
