package org.distill4j.rl;

import java.util.List;

/**
 * A run of reinforcement learners (PPO or DDPG) on a continuous-control environment, alone or in
 * pairs with dual policy distillation (Lai et al., IJCAI 2020). Null fields take the defaults
 * given; {@link #parse} reads one from a map (a YAML mapping), unknown keys being errors.
 *
 * @param algorithm {@code ppo} (default) or {@code ddpg}
 * @param env {@code pendulum} (default), {@code cartpole} or {@code mountaincar}
 * @param learners 1 (a single learner) or 2 (default)
 * @param distill whether two learners distil from each other (default true; false: two independent learners)
 * @param steps environment steps per learner, in [1, 10⁹] (default 40960)
 * @param envs environment copies per learner, stepped together (default 8)
 * @param rolloutSteps steps of each copy per cycle (default 256)
 * @param ppoEpochs PPO's passes over each rollout (default 5)
 * @param batchSize transitions per update (default 128)
 * @param lr Adam learning rate of policy and value networks (default 1e-3)
 * @param gamma discount in (0, 1] (default 0.9 with PPO, 0.98 with DDPG)
 * @param lambda PPO's GAE λ in [0, 1] (default 0.95)
 * @param clip PPO's ε in (0, 1) (default 0.2)
 * @param entropy entropy bonus ≥ 0 (default 0)
 * @param rewardScale rewards are multiplied by this for learning (> 0, default 0.1; reports show raw returns)
 * @param beta DPD's β > 0 (default the paper's: 0.5 with PPO, 0.75 with DDPG)
 * @param distillEpochs passes of weighted imitation per cycle over the learner's own states (its
 *     rollout; DDPG: envs × rolloutSteps states drawn from its replay buffer) (default 2)
 * @param hidden hidden widths of the policy and value MLPs (default [64, 64])
 * @param evalEpisodes deterministic evaluation episodes after each cycle (default 10)
 * @param seed the run's seed (default 1)
 * @param bufferSize DDPG's replay capacity in transitions (default 100000)
 * @param tau DDPG's soft-update rate in (0, 1] (default 0.005)
 * @param noise DDPG's exploration noise, a fraction of the action bound, ≥ 0 (default 0.1)
 * @param warmup DDPG's first steps per learner with uniformly random actions and no updates (default 1000)
 * @param updateRatio DDPG's gradient steps per environment step collected, in (0, 16] (default 1)
 * @param together the two learners distil both at once, each from the other as it was after the RL
 *     steps (default false: in turn, a from b, then b from a as a is after its imitation)
 */
public record DpdSpec(String env, Integer learners, Boolean distill, Long steps, Integer envs, Integer rolloutSteps,
        Integer ppoEpochs, Integer batchSize, Double lr, Double gamma, Double lambda, Double clip, Double entropy,
        Double rewardScale, Double beta, Integer distillEpochs, List<Integer> hidden, Integer evalEpisodes, Long seed,
        Algorithm algorithm, Integer bufferSize, Double tau, Double noise, Integer warmup, Double updateRatio,
        Boolean together) {
    /** The learners' algorithm. */
    public enum Algorithm {
        @com.fasterxml.jackson.annotation.JsonProperty("ppo") PPO,
        @com.fasterxml.jackson.annotation.JsonProperty("ddpg") DDPG
    }

    public DpdSpec {
        algorithm = algorithm == null ? Algorithm.PPO : algorithm;
        boolean ddpg = algorithm == Algorithm.DDPG;
        bufferSize = bufferSize == null ? 100_000 : bufferSize;
        tau = tau == null ? 0.005 : tau;
        noise = noise == null ? 0.1 : noise;
        warmup = warmup == null ? 1000 : warmup;
        updateRatio = updateRatio == null ? 1.0 : updateRatio;
        together = Boolean.TRUE.equals(together);
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
        gamma = gamma == null ? (ddpg ? 0.98 : 0.9) : gamma;
        lambda = lambda == null ? 0.95 : lambda;
        clip = clip == null ? 0.2 : clip;
        entropy = entropy == null ? 0.0 : entropy;
        rewardScale = rewardScale == null ? 0.1 : rewardScale;
        beta = beta == null ? (ddpg ? 0.75 : 0.5) : beta;
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
        check(bufferSize >= batchSize && bufferSize <= 10_000_000, "bufferSize", "must be in [batchSize, 1e7]",
                bufferSize);
        check(tau > 0 && tau <= 1, "tau", "must be in (0, 1]", tau);
        check(noise >= 0 && Double.isFinite(noise), "noise", "must be ≥ 0", noise);
        check(warmup >= 0, "warmup", "must be ≥ 0", warmup);
        check(updateRatio > 0 && updateRatio <= 16, "updateRatio", "must be in (0, 16]", updateRatio);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind
            .ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * A spec from a map of its keys (e.g. a YAML mapping read by Jackson); an unknown key or a bad
     * value fails with one line naming the key.
     */
    public static DpdSpec parse(java.util.Map<String, ?> values) {
        try {
            return MAPPER.convertValue(values, DpdSpec.class);
        } catch (IllegalArgumentException e) {
            Throwable t = e;
            while (t.getCause() != null && t != t.getCause()) {
                t = t.getCause();
            }
            if (t instanceof IllegalArgumentException bad && t != e) {
                throw bad; // our own check, already naming the key
            }
            if (t instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException u) {
                throw new IllegalArgumentException(u.getPropertyName() + ": unknown key (known: "
                        + java.util.Arrays.stream(DpdSpec.class.getRecordComponents())
                                .map(java.lang.reflect.RecordComponent::getName).toList() + ")");
            }
            if (t instanceof com.fasterxml.jackson.databind.exc.InvalidFormatException f && !f.getPath().isEmpty()) {
                throw new IllegalArgumentException(f.getPath().get(0).getFieldName() + ": cannot read "
                        + f.getValue() + " as " + f.getTargetType().getSimpleName());
            }
            throw e;
        }
    }

    /** The same run with the two learners distilling both at once. */
    public DpdSpec withTogether() {
        return new DpdSpec(env, learners, distill, steps, envs, rolloutSteps, ppoEpochs, batchSize, lr, gamma, lambda,
                clip, entropy, rewardScale, beta, distillEpochs, hidden, evalEpisodes, seed, algorithm, bufferSize, tau,
                noise, warmup, updateRatio, true);
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

    private static void check(boolean ok, String key, String rule, Object got) {
        if (!ok) {
            throw new IllegalArgumentException(key + ": " + rule + " (got " + got + ")");
        }
    }
}
