package org.distill4j.rl;

import java.util.List;

/**
 * A run of PPO learners on a continuous-control environment, alone or in pairs with dual policy
 * distillation (Lai et al., IJCAI 2020). Null fields take the defaults given.
 *
 * @param env {@code pendulum} (default), {@code cartpole} or {@code mountaincar}
 * @param learners 1 (a single learner) or 2 (default)
 * @param distill whether two learners distil from each other (default true; false: two independent learners)
 * @param steps environment steps per learner, in [1, 10⁹] (default 40960)
 * @param envs environment copies per learner, stepped together (default 8)
 * @param rolloutSteps steps of each copy per cycle (default 256)
 * @param ppoEpochs passes over each rollout (default 5)
 * @param batchSize transitions per update (default 128)
 * @param lr Adam learning rate of policy and value networks (default 1e-3)
 * @param gamma discount in (0, 1] (default 0.9)
 * @param lambda GAE λ in [0, 1] (default 0.95)
 * @param clip PPO's ε in (0, 1) (default 0.2)
 * @param entropy entropy bonus ≥ 0 (default 0)
 * @param rewardScale rewards are multiplied by this for learning (> 0, default 0.1; reports show raw returns)
 * @param beta DPD's β > 0 (default 0.5, the paper's for PPO)
 * @param distillEpochs passes of weighted imitation over the learner's own rollout per cycle (default 2)
 * @param hidden hidden widths of the policy and value MLPs (default [64, 64])
 * @param evalEpisodes deterministic evaluation episodes after each cycle (default 10)
 * @param seed the run's seed (default 1)
 */
public record DpdSpec(String env, Integer learners, Boolean distill, Long steps, Integer envs, Integer rolloutSteps,
        Integer ppoEpochs, Integer batchSize, Double lr, Double gamma, Double lambda, Double clip, Double entropy,
        Double rewardScale, Double beta, Integer distillEpochs, List<Integer> hidden, Integer evalEpisodes, Long seed) {
    public DpdSpec {
        env = env == null ? "pendulum" : env;
        Environment.named(env); // an unknown name fails here, naming the key
        learners = learners == null ? 2 : learners;
        distill = distill == null ? Boolean.TRUE : distill;
        steps = steps == null ? 40960L : steps;
        envs = envs == null ? 8 : envs;
        rolloutSteps = rolloutSteps == null ? 256 : rolloutSteps;
        ppoEpochs = ppoEpochs == null ? 5 : ppoEpochs;
        batchSize = batchSize == null ? 128 : batchSize;
        lr = lr == null ? 1e-3 : lr;
        gamma = gamma == null ? 0.9 : gamma;
        lambda = lambda == null ? 0.95 : lambda;
        clip = clip == null ? 0.2 : clip;
        entropy = entropy == null ? 0.0 : entropy;
        rewardScale = rewardScale == null ? 0.1 : rewardScale;
        beta = beta == null ? 0.5 : beta;
        distillEpochs = distillEpochs == null ? 2 : distillEpochs;
        hidden = hidden == null ? List.of(64, 64) : List.copyOf(hidden);
        evalEpisodes = evalEpisodes == null ? 10 : evalEpisodes;
        seed = seed == null ? 1L : seed;
        check(learners == 1 || learners == 2, "learners", "must be 1 or 2", learners);
        check(steps >= 1 && steps <= 1_000_000_000L, "steps", "must be in [1, 1e9]", steps);
        check(envs >= 1 && envs <= 4096, "envs", "must be in [1, 4096]", envs);
        check(rolloutSteps >= 1 && rolloutSteps <= 1_000_000, "rolloutSteps", "must be in [1, 1e6]", rolloutSteps);
        check(ppoEpochs >= 1 && ppoEpochs <= 1000, "ppoEpochs", "must be in [1, 1000]", ppoEpochs);
        check(batchSize >= 1 && batchSize <= (long) envs * rolloutSteps, "batchSize",
                "must be in [1, envs × rolloutSteps = " + (long) envs * rolloutSteps + "]", batchSize);
        check(lr > 0 && lr <= 10, "lr", "must be in (0, 10]", lr);
        check(gamma > 0 && gamma <= 1, "gamma", "must be in (0, 1]", gamma);
        check(lambda >= 0 && lambda <= 1, "lambda", "must be in [0, 1]", lambda);
        check(clip > 0 && clip < 1, "clip", "must be in (0, 1)", clip);
        check(entropy >= 0 && Double.isFinite(entropy), "entropy", "must be ≥ 0", entropy);
        check(rewardScale > 0 && Double.isFinite(rewardScale), "rewardScale", "must be > 0", rewardScale);
        check(beta > 0 && Double.isFinite(beta), "beta", "must be > 0", beta);
        check(distillEpochs >= 1 && distillEpochs <= 1000, "distillEpochs", "must be in [1, 1000]", distillEpochs);
        check(!hidden.isEmpty() && hidden.stream().allMatch(w -> w >= 1 && w <= 4096), "hidden",
                "needs widths in [1, 4096]", hidden);
        check(evalEpisodes >= 1 && evalEpisodes <= 1000, "evalEpisodes", "must be in [1, 1000]", evalEpisodes);
    }

    /** Whether this run's two learners distil from each other. */
    public boolean dual() {
        return learners == 2 && distill;
    }

    /** Transitions each learner collects per cycle. */
    public int perCycle() {
        return envs * rolloutSteps;
    }

    /** Cycles: the steps per learner, rounded up to whole rollouts. */
    public int cycles() {
        return (int) ((steps + perCycle() - 1) / perCycle());
    }

    public DpdSpec withSeed(long s) {
        return new DpdSpec(env, learners, distill, steps, envs, rolloutSteps, ppoEpochs, batchSize, lr, gamma, lambda,
                clip, entropy, rewardScale, beta, distillEpochs, hidden, evalEpisodes, s);
    }

    private static void check(boolean ok, String key, String rule, Object got) {
        if (!ok) {
            throw new IllegalArgumentException(key + ": " + rule + " (got " + got + ")");
        }
    }
}
